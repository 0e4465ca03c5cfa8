"""Polls: read one (as its status is seen) and vote in it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import Field, field_validator

from townsquare.api import errors
from townsquare.api.endpoints.statuses import as_list
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, object_id
from townsquare.api.schemas.entities import Poll
from townsquare.api.serializers.polls import poll as poll_entity
from townsquare.polls import actions as poll_actions
from townsquare.polls.models import Poll as PollModel
from townsquare.polls.queries import poll_for
from townsquare.posts.queries import Viewer, get_visible


def _entity(viewer: Viewer, raw_id: str) -> dict[str, Any]:
    post_id = (
        PollModel.objects.filter(pk=object_id(raw_id)).values_list("post_id", flat=True).first()
    )
    if post_id is None or get_visible(viewer, post_id) is None:
        raise errors.not_found()
    view = poll_for(post_id, viewer)
    if view is None:
        raise errors.not_found()
    return poll_entity(view)


@api.get("/api/v1/polls/{id}", auth="optional", scope="read:statuses", response=Poll)
def get_poll(call: Call, id: str) -> dict[str, Any]:
    """A poll, when its status may be seen."""
    return _entity(call.viewer, id)


class VoteParams(Params):
    choices: list[int] = Field(description="Positions of the chosen options, from 0")

    @field_validator("choices", mode="before")
    @classmethod
    def _choices(cls, value: Any) -> Any:
        return as_list(value)


@api.post(
    "/api/v1/polls/{id}/votes",
    auth="user",
    scope="write:statuses",
    params=VoteParams,
    response=Poll,
    errors=(422,),
    rate_limited=False,  # counted by the write layer
)
def vote(call: Call, id: str) -> dict[str, Any]:
    """Vote in a poll (once; before it ends)."""
    params: VoteParams = call.params
    poll_id = object_id(id)
    if not params.choices:
        raise ValidationError({"poll": _("Choose an option before voting.")})
    poll_actions.vote(call.user, poll_id, params.choices)
    return _entity(call.user, id)
