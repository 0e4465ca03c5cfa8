"""The write layer for posts: publishing, editing and deleting (publishing.py), and what
members do with posts: likes, shares, bookmarks, pins, hashtag follows (reactions.py); editing (editing.py) and
scheduled posts (scheduling.py)."""

from townsquare.posts.actions.editing import KEEP, MediaChange, edit_post
from townsquare.posts.actions.publishing import PollSpec, create_post, delete_post
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
from townsquare.posts.actions.scheduling import (
    cancel_scheduled,
    publish_scheduled,
    reschedule,
    schedule_post,
)

__all__ = [
    "KEEP",
    "MAX_PINS",
    "MediaChange",
    "PollSpec",
    "bookmark",
    "cancel_scheduled",
    "create_post",
    "delete_post",
    "edit_post",
    "follow_hashtag",
    "like",
    "pin",
    "publish_scheduled",
    "reschedule",
    "schedule_post",
    "share",
    "unbookmark",
    "unfollow_hashtag",
    "unlike",
    "unpin",
    "unshare",
]
