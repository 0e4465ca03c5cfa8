from __future__ import annotations

from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class RealtimeEvent(models.Model):
    """One streaming event on the embedded bus (no Redis): every streaming process reads the
    new rows a few times a second and hands them to its connections. Kept ten minutes.

    `streams` and `accounts` are space-separated: the stream keys the event goes to
    ("user:12", "public", "hashtag:garden") and the members it involves (its author, the
    author of what it shares or quotes), which connections of members who block or mute one
    of them never receive."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    event = models.CharField(max_length=32)
    payload = models.TextField()
    streams = models.TextField()
    accounts = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.event} to {self.streams[:60]}"
