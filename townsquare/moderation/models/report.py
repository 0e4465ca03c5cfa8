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
    HARASSMENT = "harassment", _("Harassment or bullying")
    HATE = "hate", _("Hate")
    VIOLENCE = "violence", _("Violence or terrorism")
    SEXUAL = "sexual", _("Sexual content")
    SELF_HARM = "self_harm", _("Self-harm or suicide")


# How urgent each category is for the queue (higher first): harm to people and illegal
# content before everything else.
SEVERITY = {
    ReportCategory.LEGAL: 3,
    ReportCategory.VIOLENCE: 3,
    ReportCategory.SELF_HARM: 3,
    ReportCategory.SEXUAL: 3,
    ReportCategory.HARASSMENT: 2,
    ReportCategory.HATE: 2,
    ReportCategory.SPAM: 1,
    ReportCategory.VIOLATION: 1,
    ReportCategory.OTHER: 1,
}


class Report(models.Model):
    """A member tells the moderators about a post, an account, a message, a group or a page
    (`kind`, `object_id`); `target` is the account responsible (None for a group whose creator
    is gone). Reports about the same thing while it is undecided share a `case`."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    # None for an automated report (`source` "automated": a content rule filed it).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    source = models.CharField(max_length=10, default="member")  # "member" or "automated"
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, default="account")  # a case.TargetKind
    object_id = models.BigIntegerField(null=True, blank=True)  # the post, message, group...
    case = models.ForeignKey(
        "moderation.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    # The posts reported, by id: kept as evidence even when a post is deleted later.
    post_ids = models.JSONField(default=list)
    category = models.CharField(
        max_length=10, choices=ReportCategory.choices, default=ReportCategory.OTHER
    )
    rule_ids = models.JSONField(default=list)
    comment = models.TextField(blank=True)
    forward = models.BooleanField(default=False)  # asked to forward to the account's server
    notice = models.ForeignKey(
        "moderation.Notice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
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
