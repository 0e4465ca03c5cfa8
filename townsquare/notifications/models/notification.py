from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class Kind(models.TextChoices):
    MENTION = "mention", "Mentions"
    REPLY = "reply", "Replies"
    LIKE = "like", "Likes"
    SHARE = "share", "Shares"
    QUOTE = "quote", "Quotes"
    FOLLOW = "follow", "New followers"
    FOLLOW_REQUEST = "follow_request", "Follow requests"
    POLL = "poll", "Polls ended"
    STATUS = "status", "New posts"  # by someone the member follows with notifications on


class Notification(models.Model):
    """Something that happened to `recipient`: `actor` did `kind` (to `post`)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    post = models.ForeignKey(
        "posts.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read=False),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
