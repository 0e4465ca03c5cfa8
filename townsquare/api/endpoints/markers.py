"""Markers: where the member stopped reading their home timeline and notifications, shared
between their apps."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from townsquare.api import actions
from townsquare.api.endpoints.timelines import StrList
from townsquare.api.models import Marker
from townsquare.api.pagination import MAX_ID
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call
from townsquare.api.schemas.timelines import Markers
from townsquare.api.serializers.common import iso

TIMELINES = tuple(Marker.Timeline.values)


class MarkersQuery(Params):
    timeline: StrList = Field(default=[], description="home, notifications")


class LastRead(BaseModel):
    last_read_id: int = Field(ge=0, le=MAX_ID)


class MarkersUpdate(Params):
    home: LastRead | None = None
    notifications: LastRead | None = None


def _entities(markers: list[Marker]) -> dict[str, Any]:
    return {
        marker.timeline: {
            "last_read_id": str(marker.last_read_id),
            "version": marker.version,
            "updated_at": iso(marker.updated_at),
        }
        for marker in markers
    }


@api.get(
    "/api/v1/markers",
    auth="user",
    scope="read:statuses",
    params=MarkersQuery,
    response=Markers,
    tag="markers",
)
def markers_get(call: Call) -> dict[str, Any]:
    """The member's markers for the timelines asked for (those saved)."""
    wanted = [name for name in call.params.timeline if name in TIMELINES]
    if not wanted:
        return {}
    return _entities(list(Marker.objects.filter(user=call.user, timeline__in=wanted)))


@api.post(
    "/api/v1/markers",
    auth="user",
    scope="write:statuses",
    params=MarkersUpdate,
    response=Markers,
    tag="markers",
)
def markers_save(call: Call) -> dict[str, Any]:
    """Save where the member stopped reading (home[last_read_id], notifications[...])."""
    params: MarkersUpdate = call.params
    last_read = {
        name: part.last_read_id
        for name, part in (("home", params.home), ("notifications", params.notifications))
        if part is not None
    }
    if not last_read:
        return {}
    return _entities(actions.save_markers(call.user, last_read))
