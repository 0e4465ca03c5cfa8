"""Editing posts: text, content warning, sensitive flag, and (from the client API) the media
and the poll, keeping every earlier version."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.accounts.queries import render_member_text
from townsquare.accounts.restrictions import check_can_write
from townsquare.core import ratelimit
from townsquare.media import actions as media_actions
from townsquare.media.models import MediaAttachment
from townsquare.moderation import rules as content_rules
from townsquare.moderation.models import RuleSubject
from townsquare.notifications.actions import notify
from townsquare.notifications.models import Kind
from townsquare.polls import actions as poll_actions
from townsquare.polls.models import Poll, PollOption
from townsquare.posts.actions.publishing import (
    PollSpec,
    _clean_spoiler,
    _clean_text,
    _mentionable,
    _record_tags,
    _schedule_preview,
)
from townsquare.posts.models import Mention, Post, PostEdit
from townsquare.realtime import publish as realtime


class Keep(enum.Enum):
    """Leave this part of the post as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class MediaChange:
    """New alt text (None: unchanged) and focal point ("x,y"; "" unchanged) of an attachment."""

    description: str | None = None
    focus: str = ""


def _media_ids(post: Post) -> list[int]:
    return list(
        MediaAttachment.objects.filter(post_id=post.pk)
        .order_by("position", "id")
        .values_list("id", flat=True)
    )


def _poll_now(post: Post) -> tuple[list[str], bool] | None:
    poll = Poll.objects.filter(post_id=post.pk).first()
    if poll is None:
        return None
    titles = list(
        PollOption.objects.filter(poll_id=poll.pk)
        .order_by("position")
        .values_list("title", flat=True)
    )
    return titles, poll.multiple


def _media_changes(
    post: Post, media_ids: Sequence[int], changes: Mapping[int, MediaChange]
) -> dict[int, MediaChange]:
    """The description/focus changes that would change something, for attachments the edited
    post will carry."""
    wanted = {pk: change for pk, change in changes.items() if pk in set(media_ids)}
    if not wanted:
        return {}
    rows = MediaAttachment.objects.filter(pk__in=list(wanted), owner_id=post.author_id)
    out: dict[int, MediaChange] = {}
    for row in rows:
        change = wanted[row.pk]
        new_text = change.description
        if new_text is not None and new_text.strip() == row.description:
            new_text = None
        if new_text is not None or change.focus.strip():
            out[row.pk] = MediaChange(new_text, change.focus)
    return out


def edit_post(
    author: User,
    post: Post,
    *,
    text: str,
    spoiler_text: str = "",
    sensitive: bool = False,
    media_ids: Sequence[int] | None = None,
    media_attributes: Mapping[int, MediaChange] | None = None,
    poll: PollSpec | None | Keep = KEEP,
) -> Post:
    """Change a post, keeping every earlier version (the first edit records the original too).

    Text, content warning and sensitive flag are always given. `media_ids` (None: unchanged)
    is the full, ordered list of attachments afterwards: the post's own and new uploads;
    those left out are deleted. `media_attributes` changes alt text or focal points. `poll`
    replaces the poll (votes start again when its options or kind change), None removes it.
    The post's level stays as it was."""
    if post.author_id != author.pk or not author.is_active:
        raise PermissionDenied(_("You can only edit your own posts."))
    check_can_write(author)
    if post.reblog_of_id is not None:
        raise ValidationError(_("A share has no text to edit."))
    current_media = _media_ids(post)
    final_media = current_media if media_ids is None else [int(i) for i in media_ids]
    final_media = list(dict.fromkeys(final_media))
    current_poll = _poll_now(post)
    if isinstance(poll, PollSpec):
        poll_options = poll_actions.clean_options(poll.options)
        poll_actions.clean_duration(poll.expires_in)
        poll_changed = current_poll != (poll_options, bool(poll.multiple))
    else:
        poll_changed = poll is None and current_poll is not None
    # Same options: only the poll's end and counts setting change (votes kept).
    settings_only = poll if isinstance(poll, PollSpec) and not poll_changed else None
    has_poll = isinstance(poll, PollSpec) or (poll is KEEP and current_poll is not None)
    if has_poll and final_media:
        raise ValidationError({"poll": _("A post can have a poll or media, not both.")})
    text = _clean_text(text, required=not final_media)
    spoiler = _clean_spoiler(spoiler_text)
    sensitive = bool(sensitive) or bool(spoiler)
    described = _media_changes(post, final_media, media_attributes or {})
    same_text = (text, spoiler, sensitive) == (post.text, post.spoiler_text, post.sensitive)
    if same_text and final_media == current_media and not described and not poll_changed:
        if settings_only is None:
            return post
        ratelimit.POSTS_PER_ACCOUNT.hit(str(author.pk))
        with transaction.atomic():
            poll_actions.update_poll(
                post,
                expires_in=settings_only.expires_in,
                hide_totals=bool(settings_only.hide_totals),
            )
        return post
    ratelimit.POSTS_PER_ACCOUNT.hit(str(author.pk))
    rendered = render_member_text(text)
    caught = None
    if (text, spoiler) != (post.text, post.spoiler_text):  # the operator's content rules
        caught = content_rules.check(
            RuleSubject.POSTS, author, f"{spoiler}\n{text}".strip(), mentions=rendered.mentions
        )
    now = timezone.now()
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if not post.edits.exists():
            PostEdit.objects.create(
                post=post,
                text=post.text,
                html=post.html,
                spoiler_text=post.spoiler_text,
                sensitive=post.sensitive,
                media_ids=current_media,
                poll_options=current_poll[0] if current_poll else None,
                created_at=post.created_at,
            )
        if final_media != current_media:
            media_actions.set_post_media(author, post, final_media)
        for pk, change in described.items():
            media_actions.update_description(
                author, pk, description=change.description, focus=change.focus
            )
        if settings_only is not None:
            poll_actions.update_poll(
                post,
                expires_in=settings_only.expires_in,
                hide_totals=bool(settings_only.hide_totals),
            )
        if poll_changed:
            poll_actions.remove_poll(post)
            if isinstance(poll, PollSpec):
                poll_actions.create_poll(
                    post,
                    options=poll.options,
                    multiple=poll.multiple,
                    expires_in=poll.expires_in,
                    hide_totals=poll.hide_totals,
                )
        post.text, post.html, post.spoiler_text = text, rendered.html, spoiler
        post.sensitive, post.edited_at = sensitive, now
        post.held = post.held or bool(caught and caught.hold)  # hidden until released
        post.save(update_fields=["text", "html", "spoiler_text", "sensitive", "edited_at", "held"])
        if caught is not None:
            content_rules.apply(caught, subject_id=post.pk, account=author, post=post)
        after_poll = _poll_now(post)
        PostEdit.objects.create(
            post=post,
            text=text,
            html=rendered.html,
            spoiler_text=spoiler,
            sensitive=sensitive,
            media_ids=final_media,
            poll_options=after_poll[0] if after_poll else None,
            created_at=now,
        )
        # Mentions follow the new text: someone no longer named loses the access the mention
        # gave (the author answered keeps it); someone newly named is told.
        before = set(Mention.objects.filter(post=post).values_list("user_id", flat=True))
        answered = [post.in_reply_to_author] if post.in_reply_to_author else []
        mentioned = _mentionable(author, rendered.mentions, answered)
        now_named = {user.pk for user in mentioned}
        Mention.objects.filter(post=post).exclude(user_id__in=now_named).delete()
        Mention.objects.bulk_create(
            [Mention(post=post, user=user) for user in mentioned if user.pk not in before]
        )
        for user in mentioned:
            if user.pk not in before and not post.held:  # a held post tells them on approval
                notify(user.pk, Kind.MENTION, actor_id=author.pk, post_id=post.pk)
        _record_tags(post, rendered.hashtags)
        _schedule_preview(post)
        realtime.post_edited(post.pk, author.pk)
    return post
