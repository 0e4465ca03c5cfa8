from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class TargetKind(models.TextChoices):
    """What a report is about. A comment is a reply post; a page is an account with
    `is_page`."""

    POST = "post", _("Post")
    ACCOUNT = "account", _("Account")
    MESSAGE = "message", _("Message")
    GROUP = "group", _("Group")
    PAGE = "page", _("Page")
    MEDIA = "media", _("Upload")  # an upload a hash bank matched (target: the HashMatch)


class Source(models.TextChoices):
    """Where a report or case came from (the DSA's notice / own initiative / automated)."""

    MEMBER = "member", _("A member's report")
    NOTICE = "notice", _("A notice")
    AUTOMATED = "automated", _("Automated detection")


class CaseState(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


class Case(models.Model):
    """The reports about one thing (a post, an account, a message, a group or a page) while a
    moderator has not decided yet: a new report about it joins its open case (at most one open
    case per target, kept by a unique constraint). `priority` orders the queue: the severity of
    the worst category reported first, then the number of reports."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    kind = models.CharField(max_length=10, choices=TargetKind.choices)
    target_id = models.BigIntegerField()
    # The account responsible: the post's or message's author, the account or page itself,
    # the group's creator (None when that account is gone).
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(max_length=10, choices=CaseState.choices, default=CaseState.OPEN)
    # How the case was opened (its first report's source, or automated detection).
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MEMBER)
    priority = models.IntegerField(default=0)
    report_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The moderator who reopened the case by reversing its dismissal on appeal, and when.
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    reopened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target_id"],
                condition=models.Q(state="open"),
                name="case_one_open_per_target",
            )
        ]
        indexes = [
            models.Index(fields=["state", "-priority", "created_at"], name="case_queue_idx"),
            models.Index(fields=["kind", "target_id"], name="case_target_idx"),
        ]

    def __str__(self) -> str:
        return f"case {self.pk} about {self.kind} {self.target_id}"

    @property
    def is_open(self) -> bool:
        return self.state == CaseState.OPEN


class CaseNote(models.Model):
    """A moderator's internal note on a case (never shown to members)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.case_id}"
