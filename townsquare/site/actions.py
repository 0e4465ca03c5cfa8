"""The write layer for the operator's settings: feature switches, the site's settings row,
its rules and the first-run setup link."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import Role, User
from townsquare.media import images
from townsquare.site import appearance, checks, features, signup_settings, state
from townsquare.site.models import (
    FeatureSwitch,
    InvitePolicy,
    RegistrationMode,
    Rule,
    SiteSettings,
)

MAX_RULES = 30


def set_feature(name: str, *, enabled: bool, actor: User | None = None) -> None:
    """Switch a feature on or off for the whole site (UnknownFeature for a name not in the
    list). Switching friends mode off turns the friend requests waiting for members who do
    not approve followers into follows. `actor`: who did it, for the audit log (None: the
    command line)."""
    from townsquare.moderation import audit
    from townsquare.site.catalog import OFF_BY_DEFAULT

    if name not in features.FEATURES:
        raise features.UnknownFeature(name)
    with transaction.atomic():
        was = FeatureSwitch.objects.select_for_update().filter(name=name).first()
        FeatureSwitch.objects.update_or_create(
            name=name, defaults={"enabled": enabled, "changed_at": timezone.now()}
        )
        before = was.enabled if was is not None else name not in OFF_BY_DEFAULT
        audit.record(
            actor,
            "feature.switch",
            target=audit.Target("feature", name, name),
            before={"enabled": before},
            after={"enabled": enabled},
        )
    state.changed()
    if name == "friends_mode" and not enabled:
        from townsquare.graph.actions import settle_friend_requests

        settle_friend_requests()


# --- the settings row ------------------------------------------------------------------------

# Which permission changes which field (fields not listed here are not changed this way).
FIELD_PERMISSIONS: dict[str, str] = {
    "name": "manage_settings",
    "description": "manage_settings",
    "contact_email": "manage_settings",
    "default_language": "manage_settings",
    "registration_mode": "manage_settings",
    "approval_question": "manage_settings",
    "invite_policy": "manage_settings",
    "allowed_email_domains": "manage_settings",
    "blocked_email_domains": "manage_settings",
    "min_age": "manage_settings",
    "require_staff_2fa": "manage_settings",
    "theme": "manage_appearance",
    "color_mode": "manage_appearance",
    "accent_color": "manage_appearance",
    "background_color": "manage_appearance",
    "custom_css": "manage_appearance",
    "footer_md": "manage_appearance",
    "about_md": "manage_appearance",
    "terms_md": "manage_appearance",
    "privacy_md": "manage_appearance",
    "rules_md": "manage_appearance",
}


def _domains(value: Any) -> str:
    """One email domain per line, lower case, without "@"; a line that is not a domain is an
    error naming it."""
    lines = []
    for raw in str(value or "").replace(",", "\n").splitlines():
        domain = raw.strip().lower().lstrip("@").rstrip(".")
        if not domain:
            continue
        labels = domain.split(".")
        if len(labels) < 2 or not all(
            label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels
        ):
            raise ValidationError(_("“%(domain)s” is not an email domain.") % {"domain": raw})
        if domain not in lines:
            lines.append(domain)
    return "\n".join(lines)


def _language(value: Any) -> str:
    from django.conf import settings

    if value not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Choose one of the languages the site speaks."))
    return str(value)


def _min_age(value: Any) -> int:
    try:
        age = int(value or 0)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter an age in years, or 0 for none.")) from None
    if not 0 <= age <= 99:
        raise ValidationError(_("Enter an age between 0 and 99."))
    return age


def _email(value: Any) -> str:
    from django.core.validators import validate_email

    text = str(value or "").strip()
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(_("Enter a valid email address.")) from None
    return text


def _flag(value: Any) -> bool:
    """A yes-or-no setting: a bool, or its usual spellings."""
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ValidationError(_("Choose yes or no."))


# How each field's value is checked and normalized; other apps add theirs (appearance).
FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": checks.text(60),
    "description": checks.text(1000),
    "contact_email": _email,
    "default_language": _language,
    "registration_mode": checks.one_of(RegistrationMode),
    "approval_question": checks.text(300),
    "invite_policy": checks.one_of(InvitePolicy),
    "allowed_email_domains": _domains,
    "blocked_email_domains": _domains,
    "min_age": _min_age,
    "require_staff_2fa": _flag,
}
FIELD_CHECKS.update(appearance.FIELD_CHECKS)  # theme, colours, custom CSS, pages
FIELD_CHECKS.update(signup_settings.FIELD_CHECKS)  # against spam sign-ups
FIELD_PERMISSIONS.update(signup_settings.FIELD_PERMISSIONS)
FIELD_CHECKS["evidence_hold_days"] = checks.whole_number(0, 3650)  # moderation.evidence
FIELD_PERMISSIONS["evidence_hold_days"] = "manage_settings"


def update_settings(actor: User | None, **changes: Any) -> SiteSettings:
    """Change fields of the site's settings. `actor` needs the permission of every field it
    changes (None: the command line or the setup wizard). Raises ValidationError by field,
    and changes nothing when any field is wrong."""
    unknown = set(changes) - set(FIELD_PERMISSIONS)
    if unknown:
        raise ValueError(f"not a setting: {', '.join(sorted(unknown))}")
    if actor is not None:
        for field in changes:
            if not actor.can(FIELD_PERMISSIONS[field]):
                raise PermissionDenied(_("You may not change these settings."))
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field, value in changes.items():
        check = FIELD_CHECKS.get(field, lambda v: v)
        try:
            cleaned[field] = check(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    from townsquare.moderation import audit

    with transaction.atomic():
        row, _created = SiteSettings.objects.select_for_update().get_or_create(pk=1)
        before = {field: getattr(row, field) for field in cleaned}
        for field, value in cleaned.items():
            setattr(row, field, value)
        row.updated_at = timezone.now()
        row.save()
        audit.record_settings(actor, before, cleaned)  # only the fields that changed
    state.changed()
    return row


# --- rules -----------------------------------------------------------------------------------


def _require(actor: User | None, permission: str) -> None:
    if actor is not None and not actor.can(permission):
        raise PermissionDenied(_("You may not change these settings."))


def set_rules(actor: User | None, rules: list[tuple[str, str]]) -> list[Rule]:
    """Replace the site's rules with `rules` ((text, hint) pairs, in order; empty texts are
    left out). Rules whose text is unchanged keep their id, so reports naming them still do."""
    _require(actor, "manage_settings")
    wanted = [(text.strip(), hint.strip()) for text, hint in rules if text.strip()]
    if len(wanted) > MAX_RULES:
        too_many = ngettext("At most %(count)d rule.", "At most %(count)d rules.", MAX_RULES)
        raise ValidationError({"rules": [too_many % {"count": MAX_RULES}]})
    for text, hint in wanted:
        if len(text) > 300 or len(hint) > 500:
            raise ValidationError(
                {"rules": [_("A rule has at most 300 characters, its explanation 500.")]}
            )
    from townsquare.moderation import audit

    with transaction.atomic():
        existing = {rule.text: rule for rule in Rule.objects.select_for_update()}
        listed = sorted(existing.values(), key=lambda rule: rule.position)
        before = [{"text": rule.text, "hint": rule.hint} for rule in listed]
        kept: list[Rule] = []
        for position, (text, hint) in enumerate(wanted):
            rule = existing.pop(text, None) or Rule(text=text)
            rule.hint, rule.position = hint, position
            rule.save()
            kept.append(rule)
        Rule.objects.filter(pk__in=[rule.pk for rule in existing.values()]).delete()
        after = [{"text": text, "hint": hint} for text, hint in wanted]
        audit.record(
            actor,
            "rules.update",
            target=audit.Target("site", "", "rules"),
            before={"rules": before},
            after={"rules": after},
        )
    return kept


# --- first run -------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def setup_needed() -> bool:
    """Whether the site still waits for its first-run wizard: never finished, and no admin."""
    row = SiteSettings.objects.filter(pk=1).first()
    if row is not None and row.setup_done_at is not None:
        return False
    return not User.objects.filter(role=Role.ADMIN, is_active=True).exists()


def start_setup() -> str:
    """A new one-time setup link's token (the previous one stops working). While a setup link
    is outstanding nobody can sign up."""
    from townsquare.moderation import audit

    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        row, _created = SiteSettings.objects.select_for_update().get_or_create(pk=1)
        before = row.setup_token_hash
        row.setup_token_hash = _hash(token)
        row.save(update_fields=["setup_token_hash"])
        audit.record(
            None,
            "setup.start",
            target=audit.Target("site", "", "setup"),
            before={"setup_token": before},
            after={"setup_token": row.setup_token_hash},
        )
    state.changed()
    return token


def setup_token_valid(token: str) -> bool:
    row = SiteSettings.objects.filter(pk=1).first()
    return bool(
        row is not None
        and row.setup_token_hash
        and row.setup_done_at is None
        and secrets.compare_digest(row.setup_token_hash, _hash(token or ""))
    )


SPENT = "spent"  # never a SHA-256 digest: the link was used and the wizard goes on


def setup_in_progress() -> bool:
    """Whether a setup link was printed and the wizard is not finished: nobody signs up."""
    row = state.site_settings()
    if not row.setup_token_hash or row.setup_done_at is not None:
        return False  # a finished setup never starts again: the cached answer holds
    # The cache (a few seconds old) says so: ask the database, so that the moment the wizard
    # is finished every web process lets people sign up.
    fresh = SiteSettings.objects.filter(pk=1).values_list("setup_token_hash", "setup_done_at")
    token_hash, done_at = fresh.first() or ("", None)
    return bool(token_hash) and done_at is None


def use_setup_token(token: str) -> None:
    """Spend the setup link, inside the transaction that creates the first admin: raises
    PermissionDenied when it is not (or no longer) valid. The wizard goes on in the admin's
    session; sign-ups stay closed until it is finished."""
    row = SiteSettings.objects.select_for_update().filter(pk=1).first()
    if row is None or not setup_token_valid(token):
        raise PermissionDenied(_("This setup link is not valid (or was already used)."))
    row.setup_token_hash = SPENT
    row.save(update_fields=["setup_token_hash"])
    state.changed()


def finish_setup(actor: User) -> None:
    if not actor.can("manage_settings"):
        raise PermissionDenied(_("Only an admin can finish setting up the site."))
    _finish_setup(actor)


def finish_setup_from_command_line() -> None:
    _finish_setup(None)


def _finish_setup(actor: User | None) -> None:
    from townsquare.moderation import audit

    with transaction.atomic():
        row, _created = SiteSettings.objects.select_for_update().get_or_create(pk=1)
        before = {"setup_done": row.setup_done_at is not None, "setup_token": row.setup_token_hash}
        row.setup_token_hash = ""
        row.setup_done_at = timezone.now()
        row.save(update_fields=["setup_token_hash", "setup_done_at"])
        audit.record(
            actor,
            "setup.finish",
            target=audit.Target("site", "", "setup"),
            before=before,
            after={"setup_done": True, "setup_token": ""},
        )
    state.changed()


# --- images ----------------------------------------------------------------------------------

IMAGE_FIELDS = {"logo": 512, "favicon": 256}  # the longest edge each is kept at


def set_image(actor: User | None, field: str, upload: IO[bytes] | None) -> SiteSettings:
    """Replace (or, with None, remove) the site's logo or favicon. The image is checked and
    stored before the settings change; a file that is not an image is a ValidationError on
    the field and changes nothing."""
    from townsquare.moderation import audit

    if field not in IMAGE_FIELDS:
        raise ValueError(f"not a site image: {field}")
    _require(actor, "manage_appearance")
    new_path = ""
    if upload is not None:
        try:
            new_path = images.process_within(upload, f"site/{field}", IMAGE_FIELDS[field])
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from None
    try:
        with transaction.atomic():
            row, _created = SiteSettings.objects.select_for_update().get_or_create(pk=1)
            old_path = getattr(row, field)
            setattr(row, field, new_path)
            row.updated_at = timezone.now()
            row.save()
            audit.record_settings(actor, {field: old_path}, {field: new_path})
    except BaseException:
        images.delete_image(new_path)
        raise
    transaction.on_commit(lambda: images.delete_image(old_path))
    state.changed()
    return row
