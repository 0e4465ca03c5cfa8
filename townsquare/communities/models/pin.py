from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id

MAX_PINS = 5  # pinned posts shown at the top of a group at once


class GroupPin(models.Model):
    """A post a group's moderators pinned to the top of the group."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    group = models.ForeignKey("communities.Group", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pinned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "post"], name="group_pin_unique"),
        ]
