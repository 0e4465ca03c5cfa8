"""Id-cursor pagination (never OFFSET on large tables)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class Cursor:
    max_id: int | None = None  # strictly older than this id
    min_id: int | None = None  # strictly newer than this id
    limit: int = 20


def parse_cursor(
    params: dict[str, str] | object, default_limit: int = 20, max_limit: int = 40
) -> Cursor:
    """Read max_id / min_id / limit from query parameters, ignoring junk instead of failing."""
    get = getattr(params, "get", None)

    def number(name: str) -> int | None:
        raw = get(name) if get else None
        if raw is None or raw == "":
            return None
        try:
            value = int(str(raw))
        except ValueError:
            return None
        return value if 0 <= value < 2**63 else None

    limit = number("limit") or default_limit
    return Cursor(max_id=number("max_id"), min_id=number("min_id"), limit=min(limit, max_limit))


def cursor_values(
    rows: QuerySet[Any],
    fields: Sequence[str],
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int | None = 40,
) -> list[tuple[Any, ...]]:
    """`fields` of a page of `rows`, cut by the rows' own ids as Mastodon pages: `max_id`
    (older), `since_id` (newer), `min_id` (just newer, read upwards), newest first either way.
    `limit=None` reads them all."""
    if max_id is not None:
        rows = rows.filter(pk__lt=max_id)
    if since_id is not None:
        rows = rows.filter(pk__gt=since_id)
    if min_id is not None:
        rows = rows.filter(pk__gt=min_id)
    values = rows.order_by("pk" if min_id is not None else "-pk").values_list(*fields)
    found = list(values[:limit] if limit is not None else values)
    if min_id is not None:
        found.reverse()
    return found
