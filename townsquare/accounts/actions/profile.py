"""A member's profile (names, bio, fields, images) and their own settings: posting
defaults, privacy choices and the language the site speaks to them in."""

from __future__ import annotations

import re
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.languages import supported_language
from townsquare.accounts.models import (
    ConnectionsVisibility,
    FriendsVisibility,
    MessagePolicy,
    User,
)
from townsquare.accounts.models.user import MAX_PROFILE_FIELDS
from townsquare.accounts.queries import render_member_text
from townsquare.core import ratelimit
from townsquare.graph.actions import approve_all_requests
from townsquare.media import images
from townsquare.realtime import publish as realtime


def _clean_fields(fields: list[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for item in fields:
        name = (item.get("name") or "").strip()
        value = (item.get("value") or "").strip()
        if not name and not value:
            continue
        if not name or not value:
            raise ValidationError({"fields": _("Each profile field needs a label and a value.")})
        if len(name) > 50 or len(value) > 200:
            raise ValidationError(
                {"fields": _("Field labels are at most 50 characters, values at most 200.")}
            )
        html = render_member_text(value).html
        cleaned.append({"name": name, "value": value, "value_html": html})
    if len(cleaned) > MAX_PROFILE_FIELDS:
        raise ValidationError(
            {
                "fields": ngettext(
                    "At most %(count)d profile field.",
                    "At most %(count)d profile fields.",
                    MAX_PROFILE_FIELDS,
                )
                % {"count": MAX_PROFILE_FIELDS}
            }
        )
    return cleaned


def _check_profile_rules(user: User, changes: dict[str, Any]) -> Any:
    """The operator's content rules over the profile's new words (moderation.rules)."""
    from townsquare.moderation import rules as content_rules
    from townsquare.moderation.models import RuleSubject

    parts = [changes.get("display_name", ""), changes.get("bio", "")]
    for item in changes.get("fields", []):
        parts += [str(item.get("name", "")), str(item.get("value", ""))]
    text = "\n".join(p for p in parts if p)
    if not text:
        return None
    where = (
        "bio"
        if changes.get("bio")
        else ("display_name" if changes.get("display_name") else "fields")
    )
    return content_rules.check(RuleSubject.PROFILES, user, text, field_name=where)


def update_profile(
    user: User,
    *,
    display_name: str | None = None,
    bio: str | None = None,
    fields: list[dict[str, str]] | None = None,
    locked: bool | None = None,
    discoverable: bool | None = None,
    avatar: IO[bytes] | None = None,
    header: IO[bytes] | None = None,
    remove_avatar: bool = False,
    remove_header: bool = False,
) -> User:
    """Change the public profile. Images are validated and processed before anything is saved."""
    ratelimit.PROFILE_UPDATES_PER_ACCOUNT.hit(str(user.pk))
    changes: dict[str, Any] = {}
    if display_name is not None:
        display_name = " ".join(display_name.split())
        if len(display_name) > 60:
            raise ValidationError({"display_name": _("At most 60 characters.")})
        changes["display_name"] = display_name
    if bio is not None:
        bio = bio.replace("\r\n", "\n").strip()  # browsers count a line break as one
        if len(bio) > 500:
            raise ValidationError({"bio": _("At most 500 characters.")})
        changes["bio"] = bio
        changes["bio_html"] = render_member_text(bio).html if bio else ""
    if fields is not None:
        changes["fields"] = _clean_fields(fields)
    if locked is not None:
        changes["locked"] = locked
    if discoverable is not None:
        changes["discoverable"] = discoverable
    caught = _check_profile_rules(user, changes)
    old_files: list[str] = []
    new_files: list[str] = []
    try:
        for upload, remove, attr, shape in (
            (avatar, remove_avatar, "avatar", images.AVATAR),
            (header, remove_header, "header", images.HEADER),
        ):
            if upload is not None:
                try:
                    path = images.process_image(upload, shape)
                except ValidationError as exc:
                    raise ValidationError({attr: exc.messages}) from None
                new_files.append(path)
                changes[attr] = path
            elif remove:
                changes[attr] = ""
            if attr in changes and getattr(user, attr):
                old_files.append(getattr(user, attr))
        with transaction.atomic():
            for attr, value in changes.items():
                setattr(user, attr, value)
            if changes:
                user.save(update_fields=list(changes))
            if caught is not None:
                from townsquare.moderation import rules as content_rules

                content_rules.apply(caught, subject_id=user.pk, account=user)
    except BaseException:
        for path in new_files:
            images.delete_image(path)
        raise
    was_unlocked = locked is False
    for path in old_files:
        transaction.on_commit(lambda p=path: images.delete_image(p))  # type: ignore[misc]
    if was_unlocked:
        approve_all_requests(user)
    return user


_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


def set_posting_defaults(
    user: User,
    *,
    visibility: int | None = None,
    sensitive: bool | None = None,
    language: str | None = None,
) -> User:
    """Change what a new post gets when its author does not say: its visibility (a
    posts.Visibility value), whether its media is marked sensitive, and its language (an ISO
    639 code, or "" for none)."""
    changes: dict[str, Any] = {}
    if visibility is not None:
        if visibility not in (0, 1, 2, 3):
            raise ValidationError({"visibility": _("Choose who sees your posts by default.")})
        changes["default_visibility"] = visibility
    if sensitive is not None:
        changes["default_sensitive"] = bool(sensitive)
    if language is not None:
        language = language.strip()
        if language and not _LANGUAGE.match(language):
            raise ValidationError({"language": _("Choose a language code such as en or fr.")})
        changes["default_language"] = language
    if not changes:
        return user
    ratelimit.WRITES_PER_ACCOUNT.hit(str(user.pk))
    for attr, value in changes.items():
        setattr(user, attr, value)
    user.save(update_fields=list(changes))
    return user


def set_privacy(
    user: User,
    *,
    message_policy: int | None = None,
    connections_visibility: int | None = None,
    friends_visibility: int | None = None,
    show_posts_to_visitors: bool | None = None,
) -> None:
    """The member's privacy choices (each left as it is when None): who may start a
    direct-message conversation with them, who may see whom they follow and who follows
    them, who may see their friends list (friends mode), and whether visitors without an
    account see their posts."""
    ratelimit.PROFILE_UPDATES_PER_ACCOUNT.hit(str(user.pk))
    changes: dict[str, Any] = {}
    if message_policy is not None:
        if message_policy not in MessagePolicy.values:
            raise ValidationError({"message_policy": _("Choose one of the options.")})
        changes["message_policy"] = message_policy
    if connections_visibility is not None:
        if connections_visibility not in ConnectionsVisibility.values:
            raise ValidationError({"connections_visibility": _("Choose one of the options.")})
        changes["connections_visibility"] = connections_visibility
    if friends_visibility is not None:
        if friends_visibility not in FriendsVisibility.values:
            raise ValidationError({"friends_visibility": _("Choose one of the options.")})
        changes["friends_visibility"] = friends_visibility
    visitors_changed = (
        show_posts_to_visitors is not None and show_posts_to_visitors != user.show_posts_to_visitors
    )
    if show_posts_to_visitors is not None:
        changes["show_posts_to_visitors"] = show_posts_to_visitors
    if not changes:
        return
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(**changes)
        if visitors_changed:
            realtime.visitors_rule_changed()
    for name, value in changes.items():
        setattr(user, name, value)


def set_language(user: User, code: str) -> None:
    """The language the site speaks to the member in (pages, emails, the API's messages): a
    code of settings.LANGUAGES, or "" for their browser's."""
    code = (code or "").strip()
    if code and supported_language(code) is None:
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    if code == user.language:
        return
    ratelimit.PROFILE_UPDATES_PER_ACCOUNT.hit(str(user.pk))
    User.objects.filter(pk=user.pk).update(language=code)
    user.language = code
