"""The write layer for posts: publishing, editing and deleting (publishing.py), and what
members do with posts: likes, shares, bookmarks, pins, hashtag follows (reactions.py)."""

from townsquare.posts.actions.publishing import (
    PollSpec,
    create_post,
    delete_post,
    edit_post,
)
from townsquare.posts.actions.reactions import (
    MAX_PINS,
    bookmark,
    follow_hashtag,
    like,
    pin,
    share,
    unbookmark,
    unfollow_hashtag,
    unlike,
    unpin,
    unshare,
)

__all__ = [
    "MAX_PINS",
    "PollSpec",
    "bookmark",
    "create_post",
    "delete_post",
    "edit_post",
    "follow_hashtag",
    "like",
    "pin",
    "share",
    "unbookmark",
    "unfollow_hashtag",
    "unlike",
    "unpin",
    "unshare",
]
