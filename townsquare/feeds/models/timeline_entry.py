from __future__ import annotations

from django.conf import settings
from django.db import models


class TimelineEntry(models.Model):
    """One post in one member's materialized home feed (written by fan-out, read by id cursor)."""

    # No index of its own: the unique (owner, post) index serves every lookup by owner, and
    # each extra index starting with the owner made a fan-out batch's commit a third slower.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    # The post's author, kept here so an unfollow can remove an author's posts in one statement
    # (which walks the owner's entries through the unique index).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            # Also the feed read's index: owner = ? ORDER BY post_id DESC.
            models.UniqueConstraint(fields=["owner", "post"], name="timeline_owner_post_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.post_id}"
