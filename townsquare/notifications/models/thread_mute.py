from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class ThreadMute(models.Model):
    """A member muted a conversation: nothing about the posts of the thread that starts at
    post `conversation_id` notifies them (Mastodon's "mute conversation")."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    conversation_id = models.BigIntegerField()  # the thread's root post (Post.thread_root_id)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "conversation_id"], name="thread_mute_once_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} muted thread {self.conversation_id}"
