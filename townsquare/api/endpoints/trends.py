"""What is popular on the site (hashtags and posts; links are not tracked), and whom a member
might follow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from pydantic import Field

from townsquare.accounts.models import User
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, object_id
from townsquare.api.schemas.entities import Account, Empty, Status, Tag
from townsquare.api.schemas.timelines import Suggestion, TrendsLink
from townsquare.api.serializers.accounts import accounts
from townsquare.api.serializers.statuses import statuses
from townsquare.api.serializers.tags import tags
from townsquare.core.ids import id_for_time
from townsquare.posts.hashtags import trending
from townsquare.posts.queries import popular_posts

TRENDS_WINDOW = timedelta(days=7)


class TrendsParams(Params):
    limit: int = Field(default=10, ge=1, le=10_000, description="At most 20")
    offset: int = Field(default=0, ge=0, le=1000)


class TrendingStatusesParams(Params):
    limit: int = Field(default=20, ge=1, le=10_000, description="At most 40")
    offset: int = Field(default=0, ge=0, le=1000)


class SuggestionsParams(Params):
    limit: int = Field(default=40, ge=1, le=10_000, description="At most 80")


def _trending_tags(call: Call) -> list[dict[str, Any]]:
    params: TrendsParams = call.params
    limit = min(params.limit, 20)
    found = trending(TRENDS_WINDOW, limit=params.offset + limit)[params.offset :]
    return tags(call.viewer, [trend.name for trend in found])


@api.get(
    "/api/v1/trends/tags",
    auth="optional",
    params=TrendsParams,
    response=list[Tag],
    tag="trends",
)
def trends_tags(call: Call) -> list[dict[str, Any]]:
    """Hashtags used by the most members over the last week."""
    return _trending_tags(call)


@api.get(
    "/api/v1/trends",
    auth="optional",
    params=TrendsParams,
    response=list[Tag],
    tag="trends",
)
def trends_tags_v1(call: Call) -> list[dict[str, Any]]:
    """Trending hashtags (the old path)."""
    return _trending_tags(call)


@api.get(
    "/api/v1/trends/statuses",
    auth="optional",
    params=TrendingStatusesParams,
    response=list[Status],
    tag="trends",
)
def trends_statuses(call: Call) -> list[dict[str, Any]]:
    """Public posts of the last week most liked and shared."""
    params: TrendingStatusesParams = call.params
    since = id_for_time((timezone.now() - TRENDS_WINDOW).timestamp())
    posts = popular_posts(
        call.viewer, since_id=since, limit=min(params.limit, 40), offset=params.offset
    )
    return statuses(call.viewer, posts)


@api.get(
    "/api/v1/trends/links",
    auth="optional",
    params=TrendsParams,
    response=list[TrendsLink],
    tag="trends",
)
def trends_links(call: Call) -> list[dict[str, Any]]:
    """Links shared the most: not tracked here, always empty."""
    return []


# Members `me` might follow: active, in search, not themselves, not already followed or asked,
# no block either way, not muted; the most followed first.
_SUGGESTIONS_SQL = (
    "SELECT u.id FROM accounts_user u"
    " LEFT JOIN (SELECT f.followee_id AS member_id, COUNT(*) AS followers FROM graph_follow f"
    " GROUP BY f.followee_id) c ON c.member_id = u.id"
    " WHERE u.is_active AND u.discoverable AND u.id <> %s"
    " AND NOT EXISTS (SELECT 1 FROM graph_follow f WHERE f.follower_id = %s"
    " AND f.followee_id = u.id)"
    " AND NOT EXISTS (SELECT 1 FROM graph_followrequest r WHERE r.follower_id = %s"
    " AND r.followee_id = u.id)"
    " AND NOT EXISTS (SELECT 1 FROM graph_block b WHERE (b.blocker_id = %s AND b.blocked_id = u.id)"
    " OR (b.blocker_id = u.id AND b.blocked_id = %s))"
    " AND NOT EXISTS (SELECT 1 FROM graph_mute mu WHERE mu.muter_id = %s AND mu.muted_id = u.id"
    " AND (mu.expires_at IS NULL OR mu.expires_at > %s))"
    # Nobody a moderator limited or suspended.
    " AND (u.limited_until IS NULL OR u.limited_until <= %s)"
    " AND (u.suspended_until IS NULL OR u.suspended_until <= %s)"
    " ORDER BY COALESCE(c.followers, 0) DESC, u.id LIMIT %s"
)


def _suggested(member: User, limit: int) -> list[dict[str, Any]]:
    me = member.pk
    with connection.cursor() as cursor:
        now = timezone.now()
        moment = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(_SUGGESTIONS_SQL, [me, me, me, me, me, me, now, moment, moment, limit])
        ids = [row[0] for row in cursor.fetchall()]
    return accounts(ids)


@api.get(
    "/api/v2/suggestions",
    auth="user",
    scope="read:accounts",
    params=SuggestionsParams,
    response=list[Suggestion],
    tag="suggestions",
)
def suggestions_v2(call: Call) -> list[dict[str, Any]]:
    """Members the caller might follow, the most followed first."""
    found = _suggested(call.user, min(call.params.limit, 80))
    return [
        {"source": "global", "sources": ["most_followed"], "account": account} for account in found
    ]


@api.get(
    "/api/v1/suggestions",
    auth="user",
    scope="read:accounts",
    params=SuggestionsParams,
    response=list[Account],
    tag="suggestions",
)
def suggestions_v1(call: Call) -> list[dict[str, Any]]:
    """Members the caller might follow (accounts only)."""
    return _suggested(call.user, min(call.params.limit, 80))


@api.delete(
    "/api/v1/suggestions/{account_id}",
    auth="user",
    scope="write:accounts",
    response=Empty,
    tag="suggestions",
)
def suggestions_remove(call: Call, account_id: str) -> dict[str, Any]:
    """Stop suggesting an account: suggestions here are only the most followed members, so
    there is nothing to remember."""
    object_id(account_id)
    return {}
