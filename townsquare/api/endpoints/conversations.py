"""Conversations: the threads of direct (mentioned-people-only) posts a member is in."""

from __future__ import annotations

from typing import Any

from townsquare.api.pagination import PageParams, link_header, page_of
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply, object_id
from townsquare.api.schemas.conversations import Conversation
from townsquare.api.schemas.entities import Empty
from townsquare.api.serializers.conversations import conversation_entities
from townsquare.conversations import actions, queries


@api.get(
    "/api/v1/conversations",
    auth="user",
    scope="read:statuses",
    params=PageParams,
    response=list[Conversation],
)
def all_conversations(call: Call) -> Reply:
    """The caller's conversations, newest activity first."""
    page = page_of(call.params)
    found = queries.conversations_of(
        call.user,
        max_id=page.max_id,
        since_id=page.since_id,
        min_id=page.min_id,
        limit=page.limit,
    )
    headers = link_header(call.request, [c.last_post_id for c in found])
    return Reply(conversation_entities(call.user, found), headers=headers)


@api.delete(
    "/api/v1/conversations/{id}",
    auth="user",
    scope="write:conversations",
    response=Empty,
)
def hide_conversation(call: Call, id: str) -> dict[str, Any]:
    """Remove a conversation from the caller's list (a new post brings it back)."""
    actions.hide(call.user, object_id(id))
    return {}


@api.post(
    "/api/v1/conversations/{id}/read",
    auth="user",
    scope="write:conversations",
    response=Conversation,
)
def read_conversation(call: Call, id: str) -> dict[str, Any]:
    """Mark a conversation read."""
    found = actions.mark_read(call.user, object_id(id))
    return conversation_entities(call.user, [found])[0]
