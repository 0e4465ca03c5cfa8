"""The audit log: every staff (moderator and admin) action, who, what, to what, when, and the
fields it changed, append-only (`moderation.models.AuditEntry`).

How to log a staff action (every write that staff, or the command line, make to the site,
its members or their content goes here; a member acting on their own things does not):

    from townsquare.moderation import audit

    with transaction.atomic():
        ...                                  # the change itself
        audit.record(
            actor,                           # the User acting; None: the command line
            "member.disable",                # "<kind>.<verb>", see ACTIONS for the names in use
            target=member,                   # a model instance, or audit.Target(kind, id, label)
            before={"login_disabled": False},
            after={"login_disabled": True},
        )

- Call it INSIDE the transaction of the change: when the change rolls back, so does its entry,
  and a change is never committed without its entry.
- `before` and `after` are dicts of field -> value. Only the fields whose values differ are
  kept; when both are given and nothing differs, nothing is recorded (returns None). Give
  neither for an action that has no state to compare (a password reset email sent).
- Secrets never reach the log: any key named like a password, token or secret (see
  `SECRET_WORDS`) is written as "(changed)" on both sides. Do not put one under another name.
- Values are made JSON-safe: datetimes as ISO text, sets as sorted lists, model instances as
  their id, anything else unknown as its text.
- The request's IP address is added when the change is made during a web request (the
  middleware `AuditIpMiddleware` remembers it); jobs and the command line have none.
- Targets: `describe(obj)` names Users ("member", id, "@name") and the site's own models; any
  other instance is (model name, pk, str(obj)). New kinds: pass `Target("case", case.pk,
  "Case 12")` or register a describer with `describes(Model)`.

Reading: `queries(...)` (in `townsquare.moderation.audit_queries`) filters and pages the log
for the staff page `/admin/audit` (permission `view_audit_log`) and its CSV/JSON exports.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse

from townsquare.moderation.models import AuditEntry

CHANGED = "(changed)"  # what a secret's value is written as, before and after
SECRET_WORDS = ("password", "token", "secret", "api_key", "private_key")
MAX_VALUE = 2000  # characters of one text value kept in the log (longer: cut, with "…")

# The action names written today (others add theirs; the staff page offers these in its
# filter, and any other name can still be typed).
ACTIONS = (
    "member.role",
    "member.verify",
    "member.password_reset",
    "member.require_confirmation",
    "member.disable",
    "member.enable",
    "member.delete",
    "role.create",
    "role.update",
    "role.delete",
    "application.accept",
    "application.decline",
    "invite.revoke",
    "site.settings",
    "appearance.update",
    "rules.update",
    "feature.switch",
    "email.settings",
    "email.test",
    "setup.start",
    "setup.finish",
    "announcement.create",
    "announcement.update",
    "announcement.publish",
    "announcement.unpublish",
    "announcement.delete",
    "emoji.create",
    "emoji.update",
    "emoji.delete",
)


@dataclass(frozen=True)
class Target:
    kind: str  # "member", "role", "site", "feature", ...
    id: str | int = ""
    label: str = ""


# --- the request's address -------------------------------------------------------------------

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


class AuditIpMiddleware:
    """Remembers the client's address for the entries written while answering the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            _ip.reset(token)


# --- targets ---------------------------------------------------------------------------------

_DESCRIBERS: dict[type[models.Model], Callable[[Any], Target]] = {}
_loaded = [False]


def describes(
    model: type[models.Model],
) -> Callable[[Callable[[Any], Target]], Callable[[Any], Target]]:
    """Register how instances of `model` are named in the log (a decorator)."""

    def register(function: Callable[[Any], Target]) -> Callable[[Any], Target]:
        _DESCRIBERS[model] = function
        return function

    return register


def _short(text: Any, limit: int = 80) -> str:
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _builtin_describers() -> None:
    from townsquare.accounts.models import Application, Invite, StaffRole, User
    from townsquare.site.models import Announcement, CustomEmoji, SiteSettings

    _DESCRIBERS.setdefault(User, lambda u: Target("member", u.pk, f"@{u.username}"))
    _DESCRIBERS.setdefault(StaffRole, lambda r: Target("role", r.pk, r.name))
    _DESCRIBERS.setdefault(
        Application, lambda a: Target("application", a.pk, f"@{a.username} <{a.email}>")
    )
    _DESCRIBERS.setdefault(
        Invite,
        lambda i: Target("invite", i.pk, f"@{getattr(i.creator, 'username', i.creator_id)}"),
    )
    _DESCRIBERS.setdefault(Announcement, lambda a: Target("announcement", a.pk, _short(a.text)))
    _DESCRIBERS.setdefault(CustomEmoji, lambda e: Target("emoji", e.pk, f":{e.shortcode}:"))
    _DESCRIBERS.setdefault(SiteSettings, lambda s: Target("site", "", "settings"))


def describe(obj: Any) -> Target:
    """How `obj` (a Target, a (kind, id, label) tuple, a model instance or None) is named."""
    if obj is None:
        return Target("")
    if isinstance(obj, Target):
        return obj
    if isinstance(obj, tuple):
        return Target(*obj)
    if not _loaded[0]:
        _builtin_describers()
        _loaded[0] = True
    for klass in type(obj).__mro__:
        if klass in _DESCRIBERS:
            return _DESCRIBERS[klass](obj)
    meta = getattr(obj, "_meta", None)
    kind = meta.model_name if meta is not None else type(obj).__name__.lower()
    return Target(kind, getattr(obj, "pk", ""), _short(obj))


# --- values ----------------------------------------------------------------------------------


def is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS)


def plain(value: Any, *, raw: bool = False) -> Any:
    """`value` as JSON: secrets masked by key, dates as ISO text, long text cut (`raw`:
    neither masked nor cut, to compare values)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        text = str(value)  # a choice's value, not the enum
        return text if raw or len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, Mapping):
        return {
            str(key): CHANGED if not raw and is_secret(str(key)) else plain(item, raw=raw)
            for key, item in value.items()
        }
    if isinstance(value, set | frozenset):
        return sorted((plain(item, raw=raw) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [plain(item, raw=raw) for item in value]
    if isinstance(value, models.Model):
        return value.pk
    return plain(str(value))


_MISSING = object()


def changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields of `before` and `after` whose values differ (a field missing on one side
    differs), made plain; secrets as CHANGED on both sides."""
    old = dict(before or {})
    new = dict(after or {})
    kept_before: dict[str, Any] = {}
    kept_after: dict[str, Any] = {}
    for key in list(old) + [key for key in new if key not in old]:
        was, now = old.get(key, _MISSING), new.get(key, _MISSING)
        if (was is _MISSING) == (now is _MISSING) and plain(was, raw=True) == plain(now, raw=True):
            continue
        if is_secret(key):
            kept_before[key] = kept_after[key] = CHANGED
            continue
        if was is not _MISSING:
            kept_before[key] = plain(was)
        if now is not _MISSING:
            kept_after[key] = plain(now)
    return kept_before, kept_after


# --- writing ---------------------------------------------------------------------------------


def record(
    actor: Any,
    action: str,
    *,
    target: Any = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry | None:
    """Log that `actor` (a User; None for the command line) did `action` to `target`, changing
    `before` into `after` (only the differing fields are kept). Call it inside the change's
    transaction. Returns the entry, or None when before and after were given and equal."""
    if not action or len(action) > 64:
        raise ValueError(f"not an audit action name: {action!r}")
    kept_before, kept_after = changes(before, after)
    if (before is not None or after is not None) and not kept_before and not kept_after:
        return None
    named = describe(target)
    actor_id = getattr(actor, "pk", None)
    return AuditEntry.objects.create(
        actor_id=actor_id,
        actor_name=getattr(actor, "username", "") if actor is not None else "",
        action=action,
        target_kind=_short(named.kind, 32),
        target_id=_short(named.id, 64),
        target_label=_short(named.label, 200),
        before=kept_before,
        after=kept_after,
        ip=ip or _ip.get(),
    )


MAIL_FIELDS = frozenset(
    {"smtp_host", "smtp_port", "smtp_username", "smtp_password", "smtp_security", "email_from"}
)


def settings_action(field: str) -> str:
    """The action a change of the site settings' `field` is logged as."""
    from townsquare.site.actions import FIELD_PERMISSIONS

    if field in MAIL_FIELDS:
        return "email.settings"
    if field in ("logo", "favicon") or FIELD_PERMISSIONS.get(field) == "manage_appearance":
        return "appearance.update"
    return "site.settings"


def record_settings(
    actor: Any, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[AuditEntry]:
    """Log a change of the site's settings row: one entry per kind of setting changed
    (site.settings, appearance.update, email.settings), with only the changed fields."""
    kept_before, kept_after = changes(before, after)
    grouped: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for field in list(kept_before) + [key for key in kept_after if key not in kept_before]:
        old, new = grouped.setdefault(settings_action(field), ({}, {}))
        if field in before:
            old[field] = before[field]
        if field in after:
            new[field] = after[field]
    written = []
    for action, (old, new) in grouped.items():
        entry = record(actor, action, target=Target("site", "", "settings"), before=old, after=new)
        if entry is not None:
            written.append(entry)
    return written


def fields_of(obj: Any, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """{name: obj.name} for `names`: the `before` (or `after`) of a change to `obj`."""
    return {name: getattr(obj, name) for name in names}


def entries_of_target(kind: str, target_id: Any) -> Iterator[AuditEntry]:
    """What staff did to one target, newest first (for pages that show a history)."""
    return (
        AuditEntry.objects.filter(target_kind=kind, target_id=str(target_id))
        .order_by("-id")[:200]
        .iterator()
    )
