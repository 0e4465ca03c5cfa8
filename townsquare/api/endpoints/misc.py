"""Small endpoints apps call at start-up: custom emojis and announcements (the site has none
of either yet)."""

from __future__ import annotations

from typing import Any

from townsquare.api import errors
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, object_id
from townsquare.api.schemas.entities import CustomEmoji, Empty
from townsquare.api.schemas.timelines import Announcement


class AnnouncementsParams(Params):
    with_dismissed: bool = False


@api.get(
    "/api/v1/custom_emojis",
    auth="none",
    response=list[CustomEmoji],
    tag="custom_emojis",
)
def custom_emojis_list(call: Call) -> list[dict[str, Any]]:
    """The site's custom emojis."""
    return []


@api.get(
    "/api/v1/announcements",
    auth="user",
    scope="read",
    params=AnnouncementsParams,
    response=list[Announcement],
    tag="announcements",
)
def announcements_list(call: Call) -> list[dict[str, Any]]:
    """The operator's announcements that are up."""
    return []


@api.post(
    "/api/v1/announcements/{id}/dismiss",
    auth="user",
    scope="write:accounts",
    response=Empty,
    tag="announcements",
)
def announcements_dismiss(call: Call, id: str) -> dict[str, Any]:
    """Mark an announcement read."""
    object_id(id)
    raise errors.not_found()


@api.put(
    "/api/v1/announcements/{id}/reactions/{name}",
    auth="user",
    scope="write:favourites",
    response=Empty,
    tag="announcements",
)
def announcements_react(call: Call, id: str, name: str) -> dict[str, Any]:
    """React to an announcement with an emoji."""
    object_id(id)
    raise errors.not_found()


@api.delete(
    "/api/v1/announcements/{id}/reactions/{name}",
    auth="user",
    scope="write:favourites",
    response=Empty,
    tag="announcements",
)
def announcements_unreact(call: Call, id: str, name: str) -> dict[str, Any]:
    """Take back a reaction to an announcement."""
    object_id(id)
    raise errors.not_found()
