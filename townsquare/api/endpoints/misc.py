"""Small endpoints apps call at start-up: the site's custom emojis and its announcements
(reactions to announcements are not kept here)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from townsquare.api import errors
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, object_id
from townsquare.api.schemas.entities import CustomEmoji, Empty
from townsquare.api.schemas.timelines import Announcement
from townsquare.api.serializers.announcements import announcement
from townsquare.site import announcements, emoji
from townsquare.site.models import Announcement as AnnouncementRow


class AnnouncementsParams(Params):
    with_dismissed: bool = False


@api.get(
    "/api/v1/custom_emojis",
    auth="none",
    response=list[CustomEmoji],
    tag="custom_emojis",
)
def custom_emojis_list(call: Call) -> list[dict[str, Any]]:
    """The site's custom emojis (the enabled ones)."""
    return emoji.listed()


@api.get(
    "/api/v1/announcements",
    auth="user",
    scope="read",
    params=AnnouncementsParams,
    response=list[Announcement],
    tag="announcements",
)
def announcements_list(call: Call) -> list[dict[str, Any]]:
    """The operator's announcements that are up (within their time window), without those the
    member dismissed unless `with_dismissed`."""
    shown = announcements.up()
    read = announcements.dismissed_by(call.user, [a.id for a in shown])
    with_read = call.params.with_dismissed
    return [announcement(a, read=a.id in read) for a in shown if with_read or a.id not in read]


@api.post(
    "/api/v1/announcements/{id}/dismiss",
    auth="user",
    scope="write:accounts",
    response=Empty,
    tag="announcements",
)
def announcements_dismiss(call: Call, id: str) -> dict[str, Any]:
    """Mark an announcement read."""
    try:
        announcements.dismiss(call.user, object_id(id))
    except AnnouncementRow.DoesNotExist:
        raise errors.not_found() from None
    return {}


@api.put(
    "/api/v1/announcements/{id}/reactions/{name}",
    auth="user",
    scope="write:favourites",
    response=Empty,
    tag="announcements",
)
def announcements_react(call: Call, id: str, name: str) -> dict[str, Any]:
    """React to an announcement with an emoji (not kept here: 422 for an announcement)."""
    _refuse_reaction(object_id(id))
    return {}


@api.delete(
    "/api/v1/announcements/{id}/reactions/{name}",
    auth="user",
    scope="write:favourites",
    response=Empty,
    tag="announcements",
)
def announcements_unreact(call: Call, id: str, name: str) -> dict[str, Any]:
    """Take back a reaction to an announcement."""
    _refuse_reaction(object_id(id))
    return {}


def _refuse_reaction(announcement_id: int) -> None:
    if not AnnouncementRow.objects.filter(pk=announcement_id, published_at__isnull=False).exists():
        raise errors.not_found()
    raise errors.unprocessable(_("Reactions to announcements are not supported on this site"))
