from __future__ import annotations

from django.conf import settings
from django.db import models


class Hashtag(models.Model):
    name = models.CharField(max_length=100, unique=True)  # lower-case

    def __str__(self) -> str:
        return f"#{self.name}"


class PostHashtag(models.Model):
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hashtag", "post"], name="post_hashtag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.post_id} #{self.hashtag_id}"


class HashtagFollow(models.Model):
    """A member follows a hashtag: its public posts reach their home feed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hashtag", "user"], name="hashtag_follow_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows #{self.hashtag_id}"
