"""Reading home feeds: two queries a page, whatever the number of follows."""

from __future__ import annotations

import time
from dataclasses import dataclass

from townsquare.accounts.models import User
from townsquare.core.ids import id_for_time
from townsquare.core.sql import id_in
from townsquare.feeds import broadcasters
from townsquare.lists.queries import not_excluded_from_home_sql
from townsquare.posts.queries import ListedPost, list_posts

LIVE_LIMIT = 40
_HOME_SOURCE = "feeds_timelineentry t JOIN posts_post p ON p.id = t.post_id"
# Posts (and shares) by members on one of the owner's exclusive lists show in that list only.
# Takes the owner's id once more, for its guard (see not_excluded_from_home_sql).
_NOT_EXCLUSIVE = not_excluded_from_home_sql("t.owner_id", "p.author_id")


@dataclass(frozen=True)
class FeedPage:
    posts: list[ListedPost]
    next_max_id: int | None  # cursor for the next (older) page, None at the end


def home_feed(
    viewer: User,
    *,
    max_id: int | None = None,
    limit: int = 20,
    since_id: int | None = None,
    min_id: int | None = None,
) -> FeedPage:
    """A page of the member's home feed, newest first.

    One query: the materialized entries joined to their posts, through the visibility
    decision, so an entry that went stale (say, after an unfollow) is never shown.

    The page is ordered and cut by the entry's post id (`t.post_id`, the id of the post or of
    the share listed), never by the entry's own id: that is the id clients see on each status,
    so `max_id`, `since_id` and `min_id` taken from a status (as Mastodon apps do, and as the
    API's Link header gives them) page the feed without gaps. Post ids are time-ordered, so a
    post that reaches the feed late (a back-fill after a follow) takes its place in time.
    """
    posts = list_posts(
        viewer,
        source=_HOME_SOURCE,
        where=f"t.owner_id = %s AND {_NOT_EXCLUSIVE}",
        params=[viewer.pk, viewer.pk],
        order_column="t.post_id",
        max_id=max_id,
        since_id=since_id,
        min_id=min_id,
        limit=limit,
        entry_column="t.id",
    )
    followed, shares_seen = broadcasters.followed_by(viewer.pk)
    if followed:
        pulled = _broadcast_posts(
            viewer,
            followed,
            shares_seen,
            max_id=max_id,
            since_id=since_id,
            min_id=min_id,
            limit=limit,
        )
        posts = _merge(posts, pulled, limit, oldest_first=min_id is not None)
    return FeedPage(posts, posts[-1].pk if len(posts) == limit else None)


def _broadcast_posts(
    viewer: User,
    followed: list[int],
    shares_seen: list[int],
    *,
    limit: int,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
) -> list[ListedPost]:
    """The posts of the broadcasters `viewer` follows (feeds.broadcasters), with the fan-out's
    rules: not in groups, replies to others only when the viewer follows them too, shares only
    from those whose shares they see, nothing from someone on an exclusive list, and nothing
    the materialized feed already holds (posted before the author became a broadcaster)."""
    authors, author_params = id_in("p.author_id", followed)
    sharing, sharing_params = id_in("p.author_id", shares_seen) if shares_seen else ("1 = 0", [])
    where = (
        f"{authors} AND p.group_id IS NULL AND (p.reblog_of_id IS NULL OR {sharing})"  # noqa: S608
        " AND (p.in_reply_to_author_id IS NULL OR p.in_reply_to_author_id = p.author_id"
        " OR p.in_reply_to_author_id = %s OR EXISTS (SELECT 1 FROM graph_follow rf"
        " WHERE rf.follower_id = %s AND rf.followee_id = p.in_reply_to_author_id))"
        " AND NOT EXISTS (SELECT 1 FROM feeds_timelineentry te"
        " WHERE te.owner_id = %s AND te.post_id = p.id)"
        f" AND {not_excluded_from_home_sql('%s', 'p.author_id')}"
    )
    me = viewer.pk
    return list_posts(
        viewer,
        where=where,
        params=[*author_params, *sharing_params, me, me, me, me, me],
        max_id=max_id,
        since_id=since_id,
        min_id=min_id,
        limit=limit,
    )


def _merge(
    stored: list[ListedPost], pulled: list[ListedPost], limit: int, *, oldest_first: bool
) -> list[ListedPost]:
    """One page from two pages in the same order (newest first): the `limit` newest, or with
    `oldest_first` (a `min_id` page, read upwards) the `limit` just above the cursor."""
    merged = sorted([*stored, *pulled], key=lambda post: post.id, reverse=True)
    return merged[-limit:] if oldest_first else merged[:limit]


@dataclass(frozen=True)
class LiveCursor:
    """Where live updates continue from: the latest arrival in the materialized feed (entries
    arrive by fan-out in their own order, so this counts arrivals, not post ids), and the
    newest post read from a broadcaster (those have no entry: feeds.broadcasters)."""

    entry: int = 0
    post: int = 0

    def __str__(self) -> str:
        return f"{self.entry}-{self.post}"

    @classmethod
    def parse(cls, raw: str | None) -> LiveCursor:
        entry, _, post = (raw or "").partition("-")
        return cls(_number(entry), _number(post))


def _number(raw: str) -> int:
    """An id from the URL, or 0 for anything that is not one (junk, or beyond 64 bits)."""
    value = int(raw) if raw.isdigit() and len(raw) <= 19 else 0
    return value if value < 2**63 else 0


def live_cursor(posts: list[ListedPost], since: LiveCursor | None = None) -> LiveCursor:
    """The cursor after `posts` (a page of the feed, or what `home_feed_since` gave)."""
    since = since or LiveCursor(0, id_for_time(time.time()))
    return LiveCursor(
        max([since.entry, *(post.entry_id for post in posts)]),
        max([since.post, *(post.id for post in posts if not post.entry_id)]),
    )


def home_feed_since(viewer: User, since: LiveCursor) -> list[ListedPost]:
    """Posts that arrived in the home feed after `since` (for live updates), the latest
    arrival first, at most LIVE_LIMIT of them."""
    posts = list_posts(
        viewer,
        source=_HOME_SOURCE,
        where=f"t.owner_id = %s AND t.id > %s AND {_NOT_EXCLUSIVE}",
        params=[viewer.pk, since.entry, viewer.pk],
        order_column="t.id",
        limit=LIVE_LIMIT,
        entry_column="t.id",
    )
    followed, shares_seen = broadcasters.followed_by(viewer.pk)
    if followed and since.post:
        pulled = _broadcast_posts(
            viewer, followed, shares_seen, since_id=since.post, limit=LIVE_LIMIT
        )
        posts = [*pulled, *posts][:LIVE_LIMIT]
    return posts
