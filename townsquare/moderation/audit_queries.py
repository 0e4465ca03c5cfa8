"""Reading the audit log (`moderation.audit` writes it): the filters of the staff page
/admin/audit and its exports, pages cut by id (never OFFSET), and the whole filtered log read
in batches for the streamed CSV and JSON exports.

Dates are the site's days (the current time zone): a range from one date to another includes
both. Ids are time-ordered, so a date range is an id range on the primary key.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from townsquare.core.ids import id_for_time
from townsquare.moderation.models import AuditEntry

PAGE_SIZE = 50
EXPORT_BATCH = 500
EXPORT_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor",
    "action",
    "target_kind",
    "target_id",
    "target_label",
    "before",
    "after",
    "ip",
)


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # part of the actor's username ("@" optional)
    action: str = ""  # an action ("member.role") or a kind of them ("member")
    target: str = ""  # part of the target's label, or its exact id
    since: dt.date | None = None  # from this day (included)
    until: dt.date | None = None  # to this day (included)


def _start_of(day: dt.date) -> int:
    """The first id of `day` in the current time zone."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return id_for_time(moment.timestamp())


def filtered(filters: AuditFilters) -> QuerySet[AuditEntry]:
    rows = AuditEntry.objects.all()
    actor = filters.actor.strip().removeprefix("@")
    if actor:
        rows = rows.filter(actor_name__icontains=actor)
    action = filters.action.strip().lower()
    if action:
        kind = action.rstrip(".")
        rows = rows.filter(Q(action=action) | Q(action__startswith=kind + "."))
    target = filters.target.strip()
    if target:
        found = Q(target_label__icontains=target)
        if len(target) <= 64:
            found |= Q(target_id=target)
        rows = rows.filter(found)
    if filters.since is not None:
        rows = rows.filter(pk__gte=max(_start_of(filters.since), 0))
    if filters.until is not None:
        rows = rows.filter(pk__lt=max(_start_of(filters.until + dt.timedelta(days=1)), 0))
    return rows


def page(
    filters: AuditFilters, *, max_id: int | None = None, limit: int = PAGE_SIZE
) -> list[AuditEntry]:
    """A page of the matching entries, newest first, older than `max_id`."""
    rows = filtered(filters)
    if max_id is not None:
        rows = rows.filter(pk__lt=max_id)
    return list(rows.order_by("-pk")[:limit])


def every(filters: AuditFilters, batch: int = EXPORT_BATCH) -> Iterator[AuditEntry]:
    """All the matching entries, newest first, read `batch` at a time (for exports: memory
    stays flat however long the log)."""
    rows = filtered(filters)
    cursor: int | None = None
    while True:
        chunk = rows.filter(pk__lt=cursor) if cursor is not None else rows
        found = list(chunk.order_by("-pk")[:batch])
        yield from found
        if len(found) < batch:
            return
        cursor = found[-1].pk


def exported(entry: AuditEntry) -> dict[str, Any]:
    """One entry as the exports write it (ids as strings, as the API writes them)."""
    return {
        "id": str(entry.pk),
        "created_at": entry.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id is not None else None,
        "actor": entry.actor_name,
        "action": entry.action,
        "target_kind": entry.target_kind,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "before": entry.before,
        "after": entry.after,
        "ip": entry.ip,
    }


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value for a CSV cell: JSON for structures, and text a spreadsheet would run as a
    formula quoted with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def last_staff_action_at() -> dt.datetime | None:
    """When a member of staff last did something logged (not the command line): for checks
    such as "no moderator has acted for some days"."""
    entry = AuditEntry.objects.filter(actor__isnull=False).order_by("-pk").first()
    return entry.created_at if entry is not None else None
