from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class FollowRequest(models.Model):
    """A pending follow of a locked ("approve followers") account."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_follow_requests"
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_requests"
    )
    # What the follow will be once approved (see Follow).
    show_reblogs = models.BooleanField(default=True)
    notify = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_request_unique")
        ]
        indexes = [models.Index(fields=["followee", "-id"], name="follow_request_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.followee_id} (pending)"
