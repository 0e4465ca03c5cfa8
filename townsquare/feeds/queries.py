"""Reading home feeds: two queries a page, whatever the number of follows."""

from __future__ import annotations

from dataclasses import dataclass

from townsquare.accounts.models import User
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
    return FeedPage(posts, posts[-1].pk if len(posts) == limit else None)


def live_cursor(posts: list[ListedPost], since_entry: int = 0) -> int:
    """Where live updates continue from: the latest arrival among `posts` (entries arrive by
    fan-out in their own order, so the cursor counts arrivals, not post ids)."""
    return max([since_entry, *(post.entry_id for post in posts)])


def home_feed_since(viewer: User, since_entry: int) -> list[ListedPost]:
    """Posts that arrived in the home feed after entry `since_entry` (for live updates), the
    latest arrival first, at most LIVE_LIMIT of them."""
    return list_posts(
        viewer,
        source=_HOME_SOURCE,
        where=f"t.owner_id = %s AND t.id > %s AND {_NOT_EXCLUSIVE}",
        params=[viewer.pk, since_entry, viewer.pk],
        order_column="t.id",
        limit=LIVE_LIMIT,
        entry_column="t.id",
    )
