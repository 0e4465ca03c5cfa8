"""What members do with posts: likes, bookmarks, pins, and the edit history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class Like(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="like_unique")]
        indexes = [models.Index(fields=["post", "-id"], name="like_post_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Bookmark(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="bookmark_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} bookmarked {self.post_id}"


class Pin(models.Model):
    """A post its author shows at the top of their profile (at most MAX_PINS)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="pin_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} pinned {self.post_id}"


class PostEdit(models.Model):
    """One version of an edited post (the first edit also records the original)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="edits")
    text = models.TextField()
    html = models.TextField()
    spoiler_text = models.CharField(max_length=500, blank=True)
    sensitive = models.BooleanField(default=False)
    # The version's attachments, in order (ids; those deleted since are left out when shown),
    # and its poll's option titles (None: no poll).
    media_ids: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    poll_options: models.JSONField[Any] = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["post", "id"], name="post_edit_idx")]

    def __str__(self) -> str:
        return f"version of {self.post_id} at {self.created_at}"
