"""What the API keeps beside django-oauth-toolkit's tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings


class AppInfo(models.Model):
    """What Mastodon's app registration records and the toolkit's Application does not: the
    scopes the app may ask for and its website."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="mastodon",
    )
    scopes = models.CharField(max_length=1000, default="read")
    website = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"app {self.application_id}"


class IdempotentRequest(models.Model):
    """A write sent with an Idempotency-Key: the same key from the same member within a day
    answers with what the first request made instead of making it again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    result_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_age_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


class Marker(models.Model):
    """Where a member stopped reading a timeline in their apps (Mastodon's markers), so
    another app (or device) can continue from there."""

    class Timeline(models.TextChoices):
        HOME = "home", "Home"
        NOTIFICATIONS = "notifications", "Notifications"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    timeline = models.CharField(max_length=20, choices=Timeline.choices)
    last_read_id = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "timeline"], name="api_marker_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.timeline} to {self.last_read_id}"
