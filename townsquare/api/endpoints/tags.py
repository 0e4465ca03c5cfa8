"""Hashtags: one tag (with its week of use and whether the member follows it), following and
unfollowing, and the tags the member follows."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from townsquare.api import errors
from townsquare.api.endpoints.timelines import hashtag_of
from townsquare.api.pagination import PageParams, link_header, page_of
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply
from townsquare.api.schemas.entities import Tag
from townsquare.api.serializers.tags import tags
from townsquare.posts import actions
from townsquare.posts.queries import followed_hashtags


class FollowedTagsParams(PageParams):
    limit: int = Field(default=100, ge=1, le=10_000, description="At most 200")


def hashtag_name(raw: str) -> str:
    """The hashtag named in a path (lower-case, without #), or 404 when it cannot be one."""
    name = hashtag_of(raw)
    if name is None:
        raise errors.not_found()
    return name


@api.get(
    "/api/v1/tags/{name}",
    auth="optional",
    scope="read:follows",
    response=Tag,
    tag="tags",
)
def tags_get(call: Call, name: str) -> dict[str, Any]:
    """A hashtag (known or not), its use over the last week, and whether the member follows
    it."""
    return tags(call.viewer, [hashtag_name(name)])[0]


@api.post(
    "/api/v1/tags/{name}/follow",
    auth="user",
    scope="write:follows",
    response=Tag,
    tag="tags",
    rate_limited=False,  # counted by the action
)
def tags_follow(call: Call, name: str) -> dict[str, Any]:
    """Follow a hashtag: its public posts reach the member's home timeline."""
    tag = actions.follow_hashtag(call.user, hashtag_name(name))
    return tags(call.user, [tag.name])[0]


@api.post(
    "/api/v1/tags/{name}/unfollow",
    auth="user",
    scope="write:follows",
    response=Tag,
    tag="tags",
    rate_limited=False,  # counted by the action
)
def tags_unfollow(call: Call, name: str) -> dict[str, Any]:
    """Stop following a hashtag."""
    tag = hashtag_name(name)
    actions.unfollow_hashtag(call.user, tag)
    return tags(call.user, [tag])[0]


@api.get(
    "/api/v1/followed_tags",
    auth="user",
    scope="read:follows",
    params=FollowedTagsParams,
    response=list[Tag],
    tag="followed_tags",
)
def followed_tags_list(call: Call) -> Reply:
    """The hashtags the member follows, latest first."""
    page = page_of(call.params, default=100, ceiling=200)
    rows = followed_hashtags(
        call.user,
        max_id=page.max_id,
        since_id=page.since_id,
        min_id=page.min_id,
        limit=page.limit,
    )
    return Reply(
        tags(call.user, [name for _, name in rows]),
        headers=link_header(call.request, [row_id for row_id, _ in rows]),
    )
