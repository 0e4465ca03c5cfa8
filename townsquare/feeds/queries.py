"""Reading home feeds: two queries a page, whatever the number of follows."""

from __future__ import annotations

from dataclasses import dataclass

from townsquare.accounts.models import User
from townsquare.posts.queries import ListedPost, list_posts

_HOME_SOURCE = "feeds_timelineentry t JOIN posts_post p ON p.id = t.post_id"


@dataclass(frozen=True)
class FeedPage:
    posts: list[ListedPost]
    next_max_id: int | None  # cursor for the next (older) page, None at the end


def home_feed(viewer: User, *, max_id: int | None = None, limit: int = 20) -> FeedPage:
    """A page of the member's home feed, newest first.

    One query: the materialized entries joined to their posts, through the visibility
    decision, so an entry that went stale (say, after an unfollow) is never shown.
    """
    posts = list_posts(
        viewer,
        source=_HOME_SOURCE,
        where="t.owner_id = %s",
        params=[viewer.pk],
        order_column="t.post_id",
        max_id=max_id,
        limit=limit,
    )
    return FeedPage(posts, posts[-1].pk if len(posts) == limit else None)


def home_feed_since(viewer: User, since_id: int, *, limit: int = 40) -> list[ListedPost]:
    """Posts that arrived in the home feed after `since_id` (for live updates), newest first."""
    return list_posts(
        viewer,
        source=_HOME_SOURCE,
        where="t.owner_id = %s AND t.post_id > %s",
        params=[viewer.pk, since_id],
        order_column="t.post_id",
        limit=limit,
    )
