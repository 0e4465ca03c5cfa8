from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class Announcement(models.Model):
    """A notice from the people who run the site, shown as a banner on every page (and to
    apps as Mastodon's announcements) while it is published and within its time window."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    text = models.TextField(max_length=5000)  # Markdown (townsquare.site.markdown)
    starts_at = models.DateTimeField(null=True, blank=True)  # None: as soon as published
    ends_at = models.DateTimeField(null=True, blank=True)  # None: until taken down
    all_day = models.BooleanField(default=False)  # the window is shown as dates, not times
    published_at = models.DateTimeField(null=True, blank=True)  # None: a draft
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def published(self) -> bool:
        return self.published_at is not None


class AnnouncementDismissal(models.Model):
    """A member closed an announcement's banner (Mastodon's "read")."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="dismissals"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("member", "announcement"), name="site_dismissal_once_per_member"
            ),
        )
