"""Announcements: notices from the people who run the site, shown as a banner at the top of
every page and to apps (Mastodon's announcements).

Writes go through the functions here (permission `manage_announcements`; a member dismisses
for themself). Reads for pages come from `state`, which keeps the published announcements that
have not ended for a few seconds in each process (every page shows the banner): a page asks for
a member's dismissals (one small query) only when an announcement is up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import User
from townsquare.moderation import audit
from townsquare.site import markdown, state
from townsquare.site.models import Announcement, AnnouncementDismissal

PERMISSION = "manage_announcements"
MAX_TEXT = 5000
MAX_UP = 50  # published announcements not yet ended that pages and apps see at most
COOKIE = "dismissed_announcements"  # visitors' dismissals: ids, "."-separated
COOKIE_KEEPS = 20


@dataclass(frozen=True)
class Shown:
    """A published announcement as pages and apps see it (shared between requests)."""

    id: int
    text: str
    html: str
    starts_at: datetime | None
    ends_at: datetime | None
    all_day: bool
    published_at: datetime
    updated_at: datetime

    def up_at(self, now: datetime) -> bool:
        """Whether it is within its time window at `now`."""
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )


def load() -> tuple[Shown, ...]:
    """The published announcements that have not ended (read by `state` every few seconds),
    the soonest first."""
    now = timezone.now()
    rows = (
        Announcement.objects.filter(published_at__isnull=False)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("-id")[:MAX_UP]
    )
    shown = [
        Shown(
            id=row.pk,
            text=row.text,
            html=markdown.to_html(row.text),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            all_day=row.all_day and (row.starts_at is not None or row.ends_at is not None),
            published_at=row.published_at,  # type: ignore[arg-type]
            updated_at=row.updated_at,
        )
        for row in rows
    ]
    shown.sort(key=lambda a: (a.starts_at or a.published_at, a.id))
    return tuple(shown)


def up(now: datetime | None = None) -> list[Shown]:
    """The announcements within their time window now."""
    moment = now or timezone.now()
    return [a for a in state.current().announcements if a.up_at(moment)]


def dismissed_by(member: User, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(
        AnnouncementDismissal.objects.filter(
            member_id=member.pk, announcement_id__in=ids
        ).values_list("announcement_id", flat=True)
    )


def cookie_ids(raw: str | None) -> set[int]:
    """The announcement ids a visitor's browser dismissed (from its cookie)."""
    found: set[int] = set()
    for part in (raw or "").split(".")[:COOKIE_KEEPS]:
        if part.isdigit() and len(part) <= 19:
            found.add(int(part))
    return found


def cookie_with(raw: str | None, announcement_id: int) -> str:
    """The visitors' cookie value once `announcement_id` is dismissed too (the latest kept)."""
    kept = [part for part in (raw or "").split(".") if part.isdigit() and len(part) <= 19]
    kept = [part for part in kept if part != str(announcement_id)] + [str(announcement_id)]
    return ".".join(kept[-COOKIE_KEEPS:])


def banner(member: User | None, visitor_cookie: str | None = None) -> list[Shown]:
    """What the banner at the top of a page shows: the announcements up now that this member
    (or this visitor's browser) has not dismissed. No query unless one is up."""
    shown = up()
    if not shown:
        return []
    if member is not None:
        hidden = dismissed_by(member, [a.id for a in shown])
    else:
        hidden = cookie_ids(visitor_cookie)
    return [a for a in shown if a.id not in hidden]


# --- writes ----------------------------------------------------------------------------------


def _require(actor: User | None) -> None:
    if actor is not None and not actor.can(PERMISSION):
        raise PermissionDenied(_("You may not manage announcements."))


def _clean(
    text: Any, starts_at: datetime | None, ends_at: datetime | None
) -> tuple[str, datetime | None, datetime | None]:
    body = str(text or "").strip()
    errors: dict[str, list[str]] = {}
    if not body:
        errors["text"] = [_("Write the announcement.")]
    elif len(body) > MAX_TEXT:
        errors["text"] = [
            ngettext(
                "At most %(limit)d character (this has %(count)d).",
                "At most %(limit)d characters (this has %(count)d).",
                MAX_TEXT,
            )
            % {"limit": MAX_TEXT, "count": len(body)}
        ]
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = [_("The end must come after the start.")]
    if errors:
        raise ValidationError(errors)
    return body, starts_at, ends_at


def _changed() -> None:
    """In the writing transaction: pages see the change at once (`state.changed`)."""
    state.changed()


_LOGGED = ("text", "starts_at", "ends_at", "all_day", "published")


def _fields(announcement: Announcement) -> dict[str, Any]:
    """What the audit log keeps of an announcement."""
    return {name: getattr(announcement, name) for name in _LOGGED}


def _get(announcement_id: int, *, lock: bool = False) -> Announcement:
    rows = Announcement.objects.select_for_update() if lock else Announcement.objects
    found = rows.filter(pk=announcement_id).first()
    if found is None:
        raise Announcement.DoesNotExist(_("There is no such announcement."))
    return found


def create_announcement(
    actor: User | None,
    *,
    text: str,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    all_day: bool = False,
    publish: bool = False,
) -> Announcement:
    """A new announcement (a draft unless `publish`). ValidationError by field."""
    _require(actor)
    body, starts_at, ends_at = _clean(text, starts_at, ends_at)
    now = timezone.now()
    with transaction.atomic():
        announcement = Announcement.objects.create(
            text=body,
            starts_at=starts_at,
            ends_at=ends_at,
            all_day=all_day,
            published_at=now if publish else None,
            created_at=now,
            updated_at=now,
        )
        audit.record(
            actor,
            "announcement.create",
            target=announcement,
            before={},
            after=_fields(announcement),
        )
        _changed()
    return announcement


def update_announcement(
    actor: User | None,
    announcement_id: int,
    *,
    text: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    all_day: bool,
) -> Announcement:
    """Change an announcement's text or time window (apps see it as updated)."""
    _require(actor)
    body, starts_at, ends_at = _clean(text, starts_at, ends_at)
    with transaction.atomic():
        announcement = _get(announcement_id, lock=True)
        before = _fields(announcement)
        announcement.text, announcement.all_day = body, all_day
        announcement.starts_at, announcement.ends_at = starts_at, ends_at
        announcement.updated_at = timezone.now()
        announcement.save()
        audit.record(
            actor,
            "announcement.update",
            target=announcement,
            before=before,
            after=_fields(announcement),
        )
        _changed()
    return announcement


def set_published(actor: User | None, announcement_id: int, *, published: bool) -> Announcement:
    """Publish a draft (it shows within its time window) or take an announcement down."""
    _require(actor)
    with transaction.atomic():
        announcement = _get(announcement_id, lock=True)
        if published != announcement.published:
            now = timezone.now()
            announcement.published_at = now if published else None
            announcement.updated_at = now
            announcement.save(update_fields=["published_at", "updated_at"])
            audit.record(
                actor,
                "announcement.publish" if published else "announcement.unpublish",
                target=announcement,
                before={"published": not published},
                after={"published": published},
            )
            _changed()
    return announcement


def delete_announcement(actor: User | None, announcement_id: int) -> None:
    _require(actor)
    with transaction.atomic():
        announcement = _get(announcement_id, lock=True)
        audit.record(
            actor,
            "announcement.delete",
            target=announcement,
            before=_fields(announcement),
            after={},
        )
        announcement.delete()
        _changed()


def dismiss(member: User, announcement_id: int) -> None:
    """The member closes a published announcement's banner (again: nothing changes).
    Announcement.DoesNotExist for a draft or an id that is not one."""
    if not Announcement.objects.filter(pk=announcement_id, published_at__isnull=False).exists():
        raise Announcement.DoesNotExist(_("There is no such announcement."))
    try:
        with transaction.atomic():
            AnnouncementDismissal.objects.get_or_create(
                member_id=member.pk, announcement_id=announcement_id
            )
    except IntegrityError:  # dismissed at the same moment in another tab
        pass
