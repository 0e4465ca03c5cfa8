from __future__ import annotations

from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class CustomEmoji(models.Model):
    """An image members write as `:shortcode:` in posts (and apps offer in their picker)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    shortcode = models.CharField(max_length=30, unique=True)  # [a-zA-Z0-9_]{2,30}
    image = models.CharField(max_length=200)  # storage path (animated when the upload was)
    static_image = models.CharField(max_length=200)  # storage path, a still PNG
    category = models.CharField(max_length=50, blank=True)
    visible_in_picker = models.BooleanField(default=True)
    disabled = models.BooleanField(default=False)  # kept, but neither shown nor listed
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("category", "shortcode")

    def __str__(self) -> str:
        return f":{self.shortcode}:"
