from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class Block(models.Model):
    """`blocker` blocked `blocked`: neither sees the other's posts, follows, mentions or
    messages the other (Mastodon hides both ways too)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="block_not_self"
            ),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"], name="block_blocked_idx")]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Mute(models.Model):
    """`muter` hides `muted`'s posts (and, by choice, notifications), until `expires_at`."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    muter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    muted = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    hide_notifications = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="mute_unique"),
            models.CheckConstraint(
                condition=~models.Q(muter=models.F("muted")), name="mute_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muter_id} mutes {self.muted_id}"
