"""Notifications: the member's list (by type, by account, id-cursor paged), one
notification, dismissing one or all, and the unread count. Only notifications the site would
show are listed (see notifications.queries.shown: nothing about posts the member may no longer
see, nothing from members blocked or muted)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from townsquare.api import errors
from townsquare.api.endpoints.timelines import StrList
from townsquare.api.pagination import MAX_ID, PageParams, link_header, page_of
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply, object_id
from townsquare.api.schemas.entities import Empty
from townsquare.api.schemas.timelines import Notification, UnreadCount
from townsquare.api.serializers.notifications import kinds_for, notifications
from townsquare.notifications import actions
from townsquare.notifications.queries import (
    notification_row,
    notification_rows,
    unread_shown_count,
)


class NotificationParams(PageParams):
    types: StrList = Field(default=[], description="Only these types")
    exclude_types: StrList = Field(default=[], description="Not these types")
    account_id: int | None = Field(default=None, ge=0, le=MAX_ID, description="Only from them")


class UnreadParams(Params):
    limit: int = Field(default=100, ge=1, le=10_000, description="Count at most this (1000)")
    types: StrList = Field(default=[], description="Only these types")
    exclude_types: StrList = Field(default=[], description="Not these types")
    account_id: int | None = Field(default=None, ge=0, le=MAX_ID)


@api.get(
    "/api/v1/notifications",
    auth="user",
    scope="read:notifications",
    params=NotificationParams,
    response=list[Notification],
    tag="notifications",
)
def notifications_list(call: Call) -> Reply:
    """The member's notifications, newest first."""
    params: NotificationParams = call.params
    page = page_of(params, default=40, ceiling=80)
    kinds = kinds_for(params.types, params.exclude_types)
    if not kinds:
        return Reply([])
    rows = notification_rows(
        call.user,
        kinds=kinds,
        actor_id=params.account_id,
        max_id=page.max_id,
        since_id=page.since_id,
        min_id=page.min_id,
        limit=page.limit,
    )
    return Reply(
        notifications(call.user, rows),
        headers=link_header(call.request, [row.id for row in rows]),
    )


@api.get(
    "/api/v1/notifications/unread_count",
    auth="user",
    scope="read:notifications",
    params=UnreadParams,
    response=UnreadCount,
    tag="notifications",
)
def notifications_unread_count(call: Call) -> dict[str, int]:
    """How many notifications the member has not read yet (up to `limit`)."""
    params: UnreadParams = call.params
    kinds = kinds_for(params.types, params.exclude_types)
    if not kinds:
        return {"count": 0}
    count = unread_shown_count(call.user, kinds=kinds, limit=min(params.limit, 1000))
    return {"count": count}


@api.get(
    "/api/v1/notifications/{id}",
    auth="user",
    scope="read:notifications",
    response=Notification,
    tag="notifications",
)
def notifications_get(call: Call, id: str) -> dict[str, Any]:
    """One notification."""
    row = notification_row(call.user, object_id(id))
    found = notifications(call.user, [row]) if row is not None else []
    if not found:
        raise errors.not_found()
    return found[0]


@api.post(
    "/api/v1/notifications/{id}/dismiss",
    auth="user",
    scope="write:notifications",
    response=Empty,
    tag="notifications",
    rate_limited=False,  # counted by the action
)
def notifications_dismiss(call: Call, id: str) -> dict[str, Any]:
    """Remove one notification."""
    if not actions.dismiss(call.user, object_id(id)):
        raise errors.not_found()
    return {}


@api.post(
    "/api/v1/notifications/clear",
    auth="user",
    scope="write:notifications",
    response=Empty,
    tag="notifications",
    rate_limited=False,  # counted by the action
)
def notifications_clear(call: Call) -> dict[str, Any]:
    """Remove every notification."""
    actions.clear(call.user)
    return {}
