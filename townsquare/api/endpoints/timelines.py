"""Timelines: home, public and hashtag; and the member's bookmarks and favourites (pages of
statuses too). The hottest read path of the API: each page is one listing query plus the fixed
queries of the Status serializer, whatever its length.

The list timeline (`/api/v1/timelines/list/{id}`) lives with the lists endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from django.utils.translation import gettext_lazy
from pydantic import BeforeValidator, Field

from townsquare.api.errors import ApiError
from townsquare.api.pagination import PageParams, link_header, page_of
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply
from townsquare.api.schemas.entities import Status
from townsquare.api.serializers.statuses import statuses
from townsquare.feeds.queries import home_feed
from townsquare.posts import queries
from townsquare.posts.queries import ListedPost
from townsquare.site import features

MAX_TAGS = 4  # hashtags read from each of any[], all[] and none[]
NEEDS_MEMBER = gettext_lazy("This method requires an authenticated user")


def _listed(value: Any) -> Any:
    """`key[]=a` arrives as one string when sent once; always a list."""
    return [value] if isinstance(value, str) else value


StrList = Annotated[list[str], BeforeValidator(_listed)]


class HomeParams(PageParams):
    pass


class PublicParams(PageParams):
    local: bool = Field(default=False, description="Only posts from this site (all of them)")
    remote: bool = Field(default=False, description="Only posts from other sites (none)")
    only_media: bool = Field(default=False, description="Only posts with media attachments")


class TagParams(PublicParams):
    any_of: StrList = Field(default=[], alias="any", description="Or any of these hashtags")
    all_of: StrList = Field(default=[], alias="all", description="And all of these hashtags")
    none_of: StrList = Field(default=[], alias="none", description="And none of these")


def members_only_unless_public(call: Call) -> None:
    """The public and hashtag timelines are open to anyone unless the operator switched
    "public_timeline" off (Mastodon's "timeline_preview"): then they need a member's token
    (none: 401; an app's token without a member: 422, as Mastodon answers)."""
    if call.viewer is not None or features.enabled("public_timeline"):
        return
    if call.auth is None:
        raise ApiError(401, NEEDS_MEMBER)
    raise ApiError(422, NEEDS_MEMBER)


def status_page(
    call: Call, items: list[ListedPost], cursor_ids: list[int], *, context: str | None = None
) -> Reply:
    """A page of Status entities, with the Link header built from `cursor_ids` (the ids the
    page was cut by, so the next request continues exactly where this one ended). `context`
    names the member's filters that apply (home, public)."""
    return Reply(
        statuses(call.viewer, items, context=context),
        headers=link_header(call.request, cursor_ids),
    )


@api.get(
    "/api/v1/timelines/home",
    auth="user",
    scope="read:statuses",
    params=HomeParams,
    response=list[Status],
    tag="timelines",
)
def timeline_home(call: Call) -> Reply:
    """The member's home timeline: posts and shares of whom they follow, and their own."""
    page = page_of(call.params)
    feed = home_feed(
        call.user,
        max_id=page.max_id,
        since_id=page.since_id,
        min_id=page.min_id,
        limit=page.limit,
    )
    # The feed is cut by the post id of each entry (see feeds.queries.home_feed), which is
    # the id of the status the API shows for it (a share's own id for a reblog): the Link
    # header and the ids clients read from the statuses are the same cursor.
    return status_page(call, feed.posts, [post.id for post in feed.posts], context="home")


@api.get(
    "/api/v1/timelines/public",
    auth="optional",
    scope="read:statuses",
    params=PublicParams,
    response=list[Status],
    tag="timelines",
)
def timeline_public(call: Call) -> Reply:
    """Public posts of the site, newest first (without shares and replies to others)."""
    members_only_unless_public(call)
    params: PublicParams = call.params
    page = page_of(params)
    if params.remote and not params.local:  # no other sites: nothing from them
        return Reply([])
    posts = queries.public_timeline(
        call.viewer,
        max_id=page.max_id,
        since_id=page.since_id,
        min_id=page.min_id,
        limit=page.limit,
        only_media=params.only_media,
        with_shares=False,
        with_replies=False,
    )
    return status_page(call, posts, [post.id for post in posts], context="public")


def hashtag_of(raw: str) -> str | None:
    """The hashtag `raw` names (lower-case, without #), or None when it cannot be one."""
    name = raw.strip().lstrip("#").lower()
    if not name or len(name) > 100 or not name.replace("_", "").isalnum():
        return None
    return name


def _tags(names: list[str]) -> list[str]:
    return [name for raw in names[:MAX_TAGS] if (name := hashtag_of(raw)) is not None]


@api.get(
    "/api/v1/timelines/tag/{hashtag}",
    auth="optional",
    scope="read:statuses",
    params=TagParams,
    response=list[Status],
    tag="timelines",
)
def timeline_tag(call: Call, hashtag: str) -> Reply:
    """Public posts with a hashtag (or any of `any[]`, with all of `all[]`, none of
    `none[]`)."""
    members_only_unless_public(call)
    params: TagParams = call.params
    page = page_of(params)
    name = hashtag_of(hashtag)
    if name is None or (params.remote and not params.local):
        return Reply([])
    posts = queries.tag_timeline(
        call.viewer,
        name,
        max_id=page.max_id,
        since_id=page.since_id,
        min_id=page.min_id,
        limit=page.limit,
        any_of=_tags(params.any_of),
        all_of=_tags(params.all_of),
        none_of=_tags(params.none_of),
        only_media=params.only_media,
    )
    return status_page(call, posts, [post.id for post in posts], context="public")


@api.get(
    "/api/v1/bookmarks",
    auth="user",
    scope="read:bookmarks",
    params=PageParams,
    response=list[Status],
    tag="bookmarks",
)
def bookmarks_list(call: Call) -> Reply:
    """Posts the member bookmarked, latest bookmark first (paged by the bookmarks' ids)."""
    return _saved_page(call, queries.bookmarked_posts)


@api.get(
    "/api/v1/favourites",
    auth="user",
    scope="read:favourites",
    params=PageParams,
    response=list[Status],
    tag="favourites",
)
def favourites_list(call: Call) -> Reply:
    """Posts the member liked, latest first (paged by the likes' ids)."""
    return _saved_page(call, queries.liked_posts)


def _saved_page(call: Call, read: Callable[..., list[ListedPost]]) -> Reply:
    """A page of posts the member saved (bookmarks, likes), cut by the saving rows' ids."""
    page = page_of(call.params)
    posts = read(
        call.user,
        max_id=page.max_id,
        since_id=page.since_id,
        min_id=page.min_id,
        limit=page.limit,
    )
    return status_page(call, posts, [post.entry_id for post in posts])
