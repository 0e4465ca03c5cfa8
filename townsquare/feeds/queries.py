"""Reading home feeds: two queries a page, whatever the number of follows."""

from __future__ import annotations

from dataclasses import dataclass

from townsquare.accounts.models import User
from townsquare.feeds.models import TimelineEntry
from townsquare.posts.models import Post
from townsquare.posts.queries import for_listing, visible_to


@dataclass(frozen=True)
class FeedPage:
    posts: list[Post]
    next_max_id: int | None  # cursor for the next (older) page, None at the end


def home_feed(viewer: User, *, max_id: int | None = None, limit: int = 20) -> FeedPage:
    """A page of the member's home feed, newest first.

    The entry ids come from the materialized feed; the posts are then read through the
    visibility decision, so an entry that went stale (say, a post made followers-only after
    an unfollow) is never shown.
    """
    entries = TimelineEntry.objects.filter(owner_id=viewer.pk)
    if max_id is not None:
        entries = entries.filter(post_id__lt=max_id)
    post_ids = list(entries.order_by("-post_id").values_list("post_id", flat=True)[:limit])
    if not post_ids:
        return FeedPage([], None)
    posts = list(
        for_listing(visible_to(viewer, Post.objects.filter(id__in=post_ids))).order_by("-id")
    )
    return FeedPage(posts, post_ids[-1] if len(post_ids) == limit else None)


def home_feed_since(viewer: User, since_id: int, *, limit: int = 40) -> list[Post]:
    """Posts that arrived in the home feed after `since_id` (for live updates), newest first."""
    entries = TimelineEntry.objects.filter(owner_id=viewer.pk, post_id__gt=since_id)
    post_ids = list(entries.order_by("-post_id").values_list("post_id", flat=True)[:limit])
    if not post_ids:
        return []
    return list(
        for_listing(visible_to(viewer, Post.objects.filter(id__in=post_ids))).order_by("-id")
    )
