from townsquare.posts.models.hashtag import Hashtag, HashtagFollow, PostHashtag
from townsquare.posts.models.interaction import Bookmark, Like, Pin, PostEdit
from townsquare.posts.models.mention import Mention
from townsquare.posts.models.post import Post, Visibility
from townsquare.posts.models.scheduled import ScheduledPost

__all__ = [
    "Bookmark",
    "Hashtag",
    "HashtagFollow",
    "Like",
    "Mention",
    "Pin",
    "Post",
    "PostEdit",
    "PostHashtag",
    "ScheduledPost",
    "Visibility",
]
