from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class RuleSubject(models.TextChoices):
    """What a content rule looks at."""

    POSTS = "posts", _("Posts")
    PROFILES = "profiles", _("Profiles")
    MESSAGES = "messages", _("Messages")
    SIGNUPS = "signups", _("Sign-ups")


class RuleKind(models.TextChoices):
    KEYWORDS = "keywords", _("Keywords")
    REGEX = "regex", _("Regular expressions")
    LINK_DOMAINS = "link_domains", _("Link domains")
    NEW_ACCOUNT_LIMITS = "new_account_limits", _("New-account limits")
    DUPLICATE_FLOOD = "duplicate_flood", _("Duplicate-text floods")
    MENTION_FLOOD = "mention_flood", _("Mention floods")


class RuleOutcome(models.TextChoices):
    REJECT = "reject", _("Reject with a message")
    HOLD = "hold", _("Hold for review")
    SENSITIVE = "sensitive", _("Mark sensitive")
    REPORT = "report", _("Report to the moderators")
    LIMIT = "limit", _("Limit the account")


class ContentRule(models.Model):
    """An operator's rule over what members write (`moderation.rules` applies it). `parameters`
    is the list (keywords, patterns, domains) under "items", or the thresholds by name."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    name = models.CharField(max_length=100)
    applies_to = models.JSONField(default=list)  # RuleSubject values
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    parameters = models.JSONField(default=dict)
    outcome = models.CharField(max_length=10, choices=RuleOutcome.choices)
    message = models.CharField(max_length=300, blank=True)
    enabled = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=True)
    hits = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.name


class RuleHit(models.Model):
    """A rule caught something: `acted` is False for a rule in dry run."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    rule = models.ForeignKey(ContentRule, on_delete=models.CASCADE, related_name="hit_rows")
    subject = models.CharField(max_length=10, choices=RuleSubject.choices)
    subject_id = models.BigIntegerField(null=True, blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    acted = models.BooleanField(default=False)
    excerpt = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["rule", "-id"], name="rulehit_rule_idx")]

    def __str__(self) -> str:
        return f"hit {self.pk} of rule {self.rule_id}"
