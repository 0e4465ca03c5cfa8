"""Scheduled statuses: list, read, move and cancel one's posts waiting to be published."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from townsquare.api import errors
from townsquare.api.endpoints.statuses import scheduled_entity, scheduled_media
from townsquare.api.pagination import PageParams, link_header, page_of
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply, object_id
from townsquare.api.schemas.entities import Empty
from townsquare.api.schemas.statuses import ScheduledStatus
from townsquare.posts import actions
from townsquare.posts.models import ScheduledPost


def _one(item: ScheduledPost) -> dict[str, Any]:
    return scheduled_entity(item, scheduled_media([item])[item.pk])


def _own(call: Call, raw_id: str) -> ScheduledPost:
    item = ScheduledPost.objects.filter(pk=object_id(raw_id), author=call.user).first()
    if item is None:
        raise errors.not_found()
    return item


@api.get(
    "/api/v1/scheduled_statuses",
    auth="user",
    scope="read:statuses",
    params=PageParams,
    response=list[ScheduledStatus],
)
def list_scheduled(call: Call) -> Reply:
    """One's scheduled statuses, newest first."""
    page = page_of(call.params)
    rows = ScheduledPost.objects.filter(author=call.user)
    if page.max_id is not None:
        rows = rows.filter(id__lt=page.max_id)
    if page.since_id is not None:
        rows = rows.filter(id__gt=page.since_id)
    if page.min_id is not None:
        items = list(rows.filter(id__gt=page.min_id).order_by("id")[: page.limit])
        items.reverse()
    else:
        items = list(rows.order_by("-id")[: page.limit])
    media = scheduled_media(items)
    return Reply(
        [scheduled_entity(item, media[item.pk]) for item in items],
        headers=link_header(call.request, [item.pk for item in items]),
    )


@api.get(
    "/api/v1/scheduled_statuses/{id}",
    auth="user",
    scope="read:statuses",
    response=ScheduledStatus,
)
def get_scheduled(call: Call, id: str) -> dict[str, Any]:
    """One scheduled status."""
    return _one(_own(call, id))


class RescheduleParams(Params):
    scheduled_at: datetime


@api.put(
    "/api/v1/scheduled_statuses/{id}",
    auth="user",
    scope="write:statuses",
    params=RescheduleParams,
    response=ScheduledStatus,
    errors=(422,),
    rate_limited=False,  # counted by the write layer
)
def update_scheduled(call: Call, id: str) -> dict[str, Any]:
    """Publish a scheduled status at another time."""
    params: RescheduleParams = call.params
    when = params.scheduled_at
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    item = actions.reschedule(call.user, _own(call, id), when)
    return _one(item)


@api.delete(
    "/api/v1/scheduled_statuses/{id}",
    auth="user",
    scope="write:statuses",
    response=Empty,
    rate_limited=False,  # counted by the write layer
)
def cancel_scheduled(call: Call, id: str) -> dict[str, Any]:
    """Cancel a scheduled status."""
    actions.cancel_scheduled(call.user, _own(call, id))
    return {}
