from townsquare.posts.models.hashtag import Hashtag, PostHashtag
from townsquare.posts.models.mention import Mention
from townsquare.posts.models.post import Post, Visibility

__all__ = ["Hashtag", "Mention", "Post", "PostHashtag", "Visibility"]
