"""Id-cursor pagination (never OFFSET on large tables)."""

from __future__ import annotations

from dataclasses import dataclass


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
