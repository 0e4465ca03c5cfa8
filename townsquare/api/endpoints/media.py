"""Media uploads: POST /api/v2/media (images are processed at once: 200 with their URL; video
is processed by a job: 202, `url` null until it is ready), the old synchronous
POST /api/v1/media, and reading and describing one's own uploads."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from pydantic import Field
from pydantic.json_schema import JsonDict

from townsquare.api import errors
from townsquare.api.params import Params, is_file
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply, object_id
from townsquare.api.schemas.entities import MediaAttachment as MediaEntity
from townsquare.api.serializers.media import attachment
from townsquare.media import actions as media_actions
from townsquare.media.models import Kind, MediaAttachment, Status

BINARY: JsonDict = {"type": "string", "format": "binary"}


class UploadParams(Params):
    file: Any = Field(json_schema_extra=BINARY, description="The image or video")
    thumbnail: Any = Field(default=None, json_schema_extra=BINARY, description="Ignored")
    description: str = Field(default="", max_length=10_000, description="Alt text")
    focus: str = Field(default="", max_length=100, description='Focal point, "x,y"')


def _failed(item: MediaAttachment) -> errors.ApiError:
    return errors.unprocessable(item.error or _("This file could not be processed."))


def _upload(call: Call, *, wait_for_all: bool) -> Reply:
    params: UploadParams = call.params
    if not is_file(params.file):
        raise errors.unprocessable(_("file must be an uploaded file"))
    item = media_actions.upload(
        call.user, params.file, description=params.description, focus=params.focus
    )
    if wait_for_all or item.kind == Kind.IMAGE:
        item = media_actions.process_now(item)
    if item.status == Status.FAILED:
        raise _failed(item)
    return Reply(attachment(item), status=200 if item.status == Status.READY else 202)


@api.post(
    "/api/v2/media",
    auth="user",
    scope="write:media",
    params=UploadParams,
    response=MediaEntity,
    errors=(202, 422),
)
def upload_v2(call: Call) -> Reply:
    """Upload an image or video to attach to a status."""
    return _upload(call, wait_for_all=False)


@api.post(
    "/api/v1/media",
    auth="user",
    scope="write:media",
    params=UploadParams,
    response=MediaEntity,
    errors=(422,),
)
def upload_v1(call: Call) -> Reply:
    """Upload media, processed before answering (for older clients)."""
    return _upload(call, wait_for_all=True)


def _own(call: Call, raw_id: str, *, unattached: bool) -> MediaAttachment:
    found = MediaAttachment.objects.filter(pk=object_id(raw_id), owner=call.user)
    if unattached:
        found = found.filter(post__isnull=True, message__isnull=True)
    item = found.first()
    if item is None:
        raise errors.not_found()
    return item


def _answer(item: MediaAttachment) -> Reply:
    if item.status == Status.FAILED:
        raise _failed(item)
    return Reply(attachment(item), status=200 if item.status == Status.READY else 206)


@api.get(
    "/api/v1/media/{id}",
    auth="user",
    scope="write:media",
    response=MediaEntity,
    errors=(206, 422),
)
def get_media(call: Call, id: str) -> Reply:
    """One's own upload: 206 while it is processed, 200 once ready."""
    return _answer(_own(call, id, unattached=False))


class MediaUpdateParams(Params):
    description: str | None = Field(default=None, max_length=10_000, description="Alt text")
    focus: str = Field(default="", max_length=100, description='Focal point, "x,y"')
    thumbnail: Any = Field(default=None, json_schema_extra=BINARY, description="Ignored")
    keep_empty: ClassVar[frozenset[str]] = frozenset({"description"})


@api.put(
    "/api/v1/media/{id}",
    auth="user",
    scope="write:media",
    params=MediaUpdateParams,
    response=MediaEntity,
    errors=(206, 422),
    rate_limited=False,  # counted by the write layer
)
def update_media(call: Call, id: str) -> Reply:
    """Describe one's upload before it is posted (alt text, focal point)."""
    params: MediaUpdateParams = call.params
    item = _own(call, id, unattached=True)
    item = media_actions.update_description(
        call.user,
        item.pk,
        description=params.description,
        focus=params.focus,
        unattached_only=True,
    )
    return _answer(item)
