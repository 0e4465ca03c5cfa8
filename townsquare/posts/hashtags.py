"""Reading hashtags: trending lists and who follows what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core.ids import id_for_time
from townsquare.posts.models import HashtagFollow, Visibility

TRENDING_CACHE_SECONDS = 300


@dataclass(frozen=True)
class Trend:
    name: str
    authors: int  # distinct members who used it in the window


def trending(window: timedelta, *, limit: int = 10) -> list[Trend]:
    """Hashtags used by the most distinct members in public posts over `window` (from
    members who appear in search and show their posts to visitors; not in groups), cached
    for a few minutes (the same list for everyone)."""
    key = f"trending:{int(window.total_seconds())}:{limit}"
    found: list[Trend] | None = cache.get(key)
    if found is not None:
        return found
    since = id_for_time((timezone.now() - window).timestamp())
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT h.name, COUNT(DISTINCT p.author_id) AS authors FROM posts_post p"
            " JOIN posts_posthashtag ph ON ph.post_id = p.id"
            " JOIN posts_hashtag h ON h.id = ph.hashtag_id"
            " JOIN accounts_user u ON u.id = p.author_id"
            " WHERE p.id >= %s AND p.visibility = %s AND p.group_id IS NULL"
            " AND u.is_active AND u.discoverable AND u.show_posts_to_visitors"
            # Nothing removed, nor of accounts a moderator limited or suspended.
            " AND p.removed_at IS NULL AND (u.limited_until IS NULL OR u.limited_until <= %s)"
            " AND (u.suspended_until IS NULL OR u.suspended_until <= %s)"
            " GROUP BY h.name ORDER BY authors DESC, h.name LIMIT %s",
            [since, int(Visibility.PUBLIC), now, now, limit],
        )
        found = [Trend(name, authors) for name, authors in cursor.fetchall()]
    cache.set(key, found, TRENDING_CACHE_SECONDS)
    return found


def follows_hashtag(member: User | None, name: str) -> bool:
    if member is None or not member.is_authenticated:
        return False
    return HashtagFollow.objects.filter(user=member, hashtag__name=name.lower()).exists()
