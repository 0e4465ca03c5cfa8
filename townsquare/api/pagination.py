"""Mastodon's id-cursor pagination: `limit`, `max_id`, `since_id`, `min_id`, and a `Link`
header pointing at the next (older) and previous (newer) pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from pydantic import Field

from townsquare.api.params import Params

MAX_ID = 2**63 - 1


class PageParams(Params):
    max_id: int | None = Field(default=None, ge=0, le=MAX_ID, description="Older than this id")
    since_id: int | None = Field(default=None, ge=0, le=MAX_ID, description="Newer than this id")
    min_id: int | None = Field(
        default=None, ge=0, le=MAX_ID, description="Just newer than this id (forward paging)"
    )
    limit: int = Field(default=20, ge=1, le=10_000, description="At most 40 (80 for accounts)")


@dataclass(frozen=True)
class Page:
    max_id: int | None
    since_id: int | None
    min_id: int | None
    limit: int


def page_of(params: PageParams, *, default: int = 20, ceiling: int = 40) -> Page:
    limit = min(params.limit or default, ceiling)
    return Page(params.max_id, params.since_id, params.min_id, limit)


def link_header(request: HttpRequest, ids: Sequence[int]) -> dict[str, str]:
    """`Link: <...?max_id=oldest>; rel="next", <...?min_id=newest>; rel="prev"`, keeping the
    request's other parameters; nothing when the page is empty."""
    if not ids:
        return {}
    kept = [
        (key, value)
        for key, values in request.GET.lists()
        for value in values
        if key not in ("max_id", "min_id", "since_id")
    ]
    base = f"{settings.BASE_URL}{request.path}"
    newer = urlencode([*kept, ("min_id", str(max(ids)))])
    older = urlencode([*kept, ("max_id", str(min(ids)))])
    return {"Link": f'<{base}?{older}>; rel="next", <{base}?{newer}>; rel="prev"'}
