from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class Follow(models.Model):
    """An accepted follow: `follower` sees `followee`'s followers-only posts and gets them at home."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set"
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set"
    )
    # Whether the followee's shares reach the follower's home feed, and whether the follower
    # is notified of each of the followee's new posts (Mastodon's `reblogs` and `notify`).
    show_reblogs = models.BooleanField(default=True)
    notify = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_unique"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followee")), name="follow_not_self"
            ),
        ]
        # (followee, follower) serves fan-out, which walks a member's followers in id order.
        indexes = [models.Index(fields=["followee", "follower"], name="follow_followee_idx")]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.followee_id}"
