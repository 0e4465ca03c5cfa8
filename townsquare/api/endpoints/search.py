"""Search: accounts, hashtags and statuses (v2), and the old v1 answer. Everything found
goes through townsquare.search, which respects visibility, blocks and who opted out of
search."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext
from pydantic import Field

from townsquare.accounts.models import User
from townsquare.accounts.queries import listed_people
from townsquare.api.errors import ApiError
from townsquare.api.pagination import MAX_ID
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call
from townsquare.api.schemas.timelines import SearchResults, SearchResultsV1
from townsquare.api.serializers.accounts import accounts
from townsquare.api.serializers.statuses import statuses
from townsquare.api.serializers.tags import tags
from townsquare.graph.models import Follow
from townsquare.graph.queries import is_blocked_between
from townsquare.posts.queries import ListedPost, posts_by_id
from townsquare.search.queries import (
    post_search_enabled,
    search_hashtags,
    search_people,
    search_posts,
)

TYPES = ("accounts", "hashtags", "statuses")
MAX_OFFSET = 1000  # past the candidates search ranks, pages are empty anyway
_STATUS_PATH = re.compile(r"^/@(\w+)/(\d{1,19})/?$")
_PROFILE_PATH = re.compile(r"^/@(\w+)/?$")


class SearchParams(Params):
    q: str = Field(min_length=1, description="What to look for")
    type: str | None = Field(default=None, description="accounts, hashtags or statuses")
    resolve: bool = Field(default=False, description="Look up a link to a post or profile")
    following: bool = Field(default=False, description="Only accounts the member follows")
    account_id: int | None = Field(default=None, ge=0, le=MAX_ID, description="Posts by them")
    exclude_unreviewed: bool = False
    limit: int = Field(default=20, ge=1, le=10_000, description="At most 40 of each type")
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Only with a type")


def _member(call: Call) -> User | None:
    return call.viewer


def _local_acct(q: str) -> str | None:
    """The username in `q` when it names an account of this site: `name`, `@name` or
    `@name@this.site`."""
    text = q.strip().lstrip("@")
    name, _, domain = text.partition("@")
    if domain and domain.lower() != (urlsplit(settings.BASE_URL).netloc or "").lower():
        return None
    return name if re.fullmatch(r"\w{1,100}", name) else None


def _exact_account(viewer: User | None, q: str) -> User | None:
    name = _local_acct(q)
    if name is None:
        return None
    user = User.objects.filter(listed_people(viewer), username__iexact=name, is_active=True).first()
    if user is None or (viewer is not None and is_blocked_between(viewer.pk, user.pk)):
        return None
    return user


def _accounts(call: Call, params: SearchParams, limit: int, offset: int) -> list[Any]:
    viewer = _member(call)
    found = search_people(viewer, params.q, limit=offset + limit)
    if offset == 0 and (exact := _exact_account(viewer, params.q)) is not None:
        found = [exact, *(user for user in found if user.pk != exact.pk)]
    if params.following and viewer is not None:
        followed = set(
            Follow.objects.filter(
                follower_id=viewer.pk, followee_id__in=[user.pk for user in found]
            ).values_list("followee_id", flat=True)
        )
        found = [user for user in found if user.pk in followed]
    return accounts([user.pk for user in found[offset : offset + limit]])


def _statuses(call: Call, params: SearchParams, limit: int, offset: int) -> list[Any]:
    viewer = _member(call)
    if viewer is None:  # as Mastodon: full-text search of posts is for members
        return []
    if not post_search_enabled():  # the operator switched post search off
        return []
    found: list[ListedPost] = search_posts(viewer, params.q, limit=offset + limit)
    if params.account_id is not None:
        found = [post for post in found if post.author_id == params.account_id]
    return statuses(viewer, found[offset : offset + limit])


def _resolved(call: Call, params: SearchParams) -> dict[str, list[Any]] | None:
    """A link to a post or a profile on this site, as the one result (`resolve`)."""
    if not re.match(r"^https?://", params.q.strip()):
        return None
    parts = urlsplit(params.q.strip())
    if parts.netloc.lower() != urlsplit(settings.BASE_URL).netloc.lower():
        return {"accounts": [], "statuses": [], "hashtags": []}
    viewer = _member(call)
    results: dict[str, list[Any]] = {"accounts": [], "statuses": [], "hashtags": []}
    if (match := _STATUS_PATH.match(parts.path)) is not None and params.type in (None, "statuses"):
        post_id = int(match.group(2))
        found = posts_by_id(viewer, [post_id]) if post_id < 2**63 else {}
        post = found.get(post_id)
        if post is not None and post.author.username.lower() == match.group(1).lower():
            results["statuses"] = statuses(viewer, [post])
    elif (match := _PROFILE_PATH.match(parts.path)) is not None and params.type in (
        None,
        "accounts",
    ):
        user = _exact_account(viewer, match.group(1))
        if user is not None:
            results["accounts"] = accounts([user.pk])
    return results


def _search(call: Call) -> dict[str, list[Any]]:
    params: SearchParams = call.params
    if call.viewer is None:
        if params.offset:
            raise ApiError(
                401,
                gettext("Search queries pagination is not supported without authentication"),
            )
        if params.resolve:
            raise ApiError(
                401,
                gettext(
                    "Search queries that resolve remote resources are not supported without"
                    " authentication"
                ),
            )
    limit = min(params.limit, 40)
    offset = params.offset if params.type else 0  # as Mastodon: an offset needs a type
    if params.resolve and params.offset == 0:
        resolved = _resolved(call, params)
        if resolved is not None:
            return resolved
    wanted = (params.type,) if params.type else TYPES
    results: dict[str, list[Any]] = {"accounts": [], "statuses": [], "hashtags": []}
    if "accounts" in wanted:
        results["accounts"] = _accounts(call, params, limit, offset)
    if "hashtags" in wanted:
        found = search_hashtags(params.q, limit=offset + limit)[offset : offset + limit]
        results["hashtags"] = tags(call.viewer, [tag.name for tag in found])
    if "statuses" in wanted:
        results["statuses"] = _statuses(call, params, limit, offset)
    return results


@api.get(
    "/api/v2/search",
    auth="optional",
    scope="read:search",
    params=SearchParams,
    response=SearchResults,
    tag="search",
)
def search_v2(call: Call) -> dict[str, list[Any]]:
    """Accounts, hashtags and posts matching `q`."""
    return _search(call)


@api.get(
    "/api/v1/search",
    auth="optional",
    scope="read:search",
    params=SearchParams,
    response=SearchResultsV1,
    tag="search",
)
def search_v1(call: Call) -> dict[str, list[Any]]:
    """Search, as Mastodon 2.x answered it (hashtags as names)."""
    results = _search(call)
    results["hashtags"] = [tag["name"] for tag in results["hashtags"]]
    return results
