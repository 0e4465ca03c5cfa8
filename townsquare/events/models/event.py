from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id

TITLE_MAX = 120
DESCRIPTION_MAX = 5000
PLACE_MAX = 200
URL_MAX = 500
TIME_ZONE_MAX = 64


class Event(models.Model):
    """Something happening at a time: hosted by a member or a page (`host`), in a group when
    `group` is set (then it follows the group's privacy). Times are stored in UTC; `time_zone`
    (an IANA name) is the zone the host gave them in, and the one they are shown in."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(
        "communities.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(max_length=TIME_ZONE_MAX, default="UTC")
    place = models.CharField(max_length=PLACE_MAX, blank=True)
    online_url = models.CharField(max_length=URL_MAX, blank=True)
    cover = models.CharField(max_length=200, blank=True)  # storage path of the 1500x500 image
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The start time the reminders were sent for (None: not yet). A moved start differs from
    # it, so the reminder job for the new time sends them again; the same job run twice not.
    reminded_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["ends_at", "starts_at"], name="event_upcoming_idx"),
            models.Index(fields=["host", "starts_at"], name="event_host_idx"),
            models.Index(
                fields=["group", "starts_at"],
                condition=models.Q(group__isnull=False),
                name="event_group_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None
