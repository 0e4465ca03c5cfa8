"""A post written now to be published later (Mastodon's scheduled statuses)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class ScheduledPost(models.Model):
    """What `create_post` will be called with at `scheduled_at` (by a job). `params` holds the
    post's text, visibility, content warning, reply and quote targets, poll and the posting
    application; its uploads point at it (`MediaAttachment.scheduled_post`) so that they are not
    cleared away as abandoned while they wait."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    scheduled_at = models.DateTimeField()
    params: models.JSONField[Any] = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"], name="scheduled_author_idx"),
            models.Index(fields=["scheduled_at"], name="scheduled_due_idx"),
        ]

    def __str__(self) -> str:
        return f"scheduled post {self.pk} by {self.author_id} at {self.scheduled_at}"
