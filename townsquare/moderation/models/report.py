from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class ReportCategory(models.TextChoices):
    SPAM = "spam", _("Spam")
    LEGAL = "legal", _("Illegal content")
    VIOLATION = "violation", _("Breaks the site's rules")
    OTHER = "other", _("Something else")


class Report(models.Model):
    """A member tells the moderators about an account (and some of its posts)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The posts reported, by id: kept as evidence even when a post is deleted later.
    post_ids = models.JSONField(default=list)
    category = models.CharField(
        max_length=10, choices=ReportCategory.choices, default=ReportCategory.OTHER
    )
    rule_ids = models.JSONField(default=list)
    comment = models.TextField(blank=True)
    forward = models.BooleanField(default=False)  # asked to forward to the account's server
    created_at = models.DateTimeField(default=timezone.now)
    action_taken = models.BooleanField(default=False)
    action_taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["reporter", "-id"], name="report_reporter_idx"),
            models.Index(
                fields=["-id"], condition=models.Q(action_taken=False), name="report_open_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} about {self.target_id}"
