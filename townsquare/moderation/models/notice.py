"""A notice of illegal content (EU DSA Art. 16), filed through the public form at /notice by
anyone, with or without an account. Each link it names becomes a report (source "notice")
that joins the open case of what it links to; the notifier is emailed an acknowledgement
with the notice's reference, and later the decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class Notice(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    # A member filing it while logged in (None: filed without an account).
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Empty only for child sexual abuse material, where the notifier may stay anonymous.
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    category = models.CharField(max_length=10)  # a ReportCategory
    explanation = models.TextField()
    legal_ground = models.CharField(max_length=500, blank=True)
    urls = models.JSONField(default=list)
    good_faith = models.BooleanField(default=False)
    language = models.CharField(max_length=16, blank=True)  # the form's language
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"notice {self.reference}"
