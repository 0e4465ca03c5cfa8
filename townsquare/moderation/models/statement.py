"""Statements of reasons (EU Digital Services Act, article 17) and strikes.

A `Statement` is written for every decision against a member's content or account, with the
fields (and allowed values) of the DSA Transparency Database's API; `moderation.decisions`
writes them and `moderation.statements` exports them. A `Strike` counts against an account
for a while; `StrikeStep`s are the operator's ladder of automatic escalation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class DecisionAction(models.TextChoices):
    """What a decision did (our own name; the DSA fields are derived from it)."""

    WARN = "warn", _("Warning")
    SENSITIVE = "sensitive", _("Media marked sensitive")
    REMOVE = "remove", _("Post removed")
    LIMIT = "limit", _("Account limited")
    FREEZE = "freeze", _("Account frozen")
    SUSPEND = "suspend", _("Account suspended")


# The labels of the decisions about a group (moderation.group_decisions).
GROUP_DECISION_LABELS = {
    "warn": _("Warning"),
    "limit": _("Group limited"),
    "freeze": _("Group frozen"),
    "suspend": _("Group suspended"),
}


class DecisionGround(models.TextChoices):
    ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT", _("Illegal content")
    INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT", _("Against the site's rules")


class SourceType(models.TextChoices):
    NOTICE = "SOURCE_ARTICLE_16", _("A notice (a report)")
    TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER", _("A trusted flagger's notice")
    OTHER_NOTIFICATION = "SOURCE_TYPE_OTHER_NOTIFICATION", _("Another notification")
    VOLUNTARY = "SOURCE_VOLUNTARY", _("The site's own initiative")


class AutomatedDecision(models.TextChoices):
    FULLY = "AUTOMATED_DECISION_FULLY", _("Fully automated")
    PARTIALLY = "AUTOMATED_DECISION_PARTIALLY", _("Partly automated")
    NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED", _("Not automated")


class StatementCategory(models.TextChoices):
    ANIMAL_WELFARE = "STATEMENT_CATEGORY_ANIMAL_WELFARE", _("Animal welfare")
    DATA_PROTECTION = (
        "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
        _("Data protection and privacy violations"),
    )
    HARMFUL_SPEECH = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", _("Illegal or harmful speech")
    INTELLECTUAL_PROPERTY = (
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        _("Intellectual property infringements"),
    )
    CIVIC_DISCOURSE = (
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        _("Negative effects on civic discourse or elections"),
    )
    NON_CONSENSUAL = "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR", _("Non-consensual behaviour")
    SEXUAL = (
        "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
        _("Pornography or sexualised content"),
    )
    MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", _("Protection of minors")
    PUBLIC_SECURITY = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", _("Risk for public security")
    SCAMS = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", _("Scams and fraud")
    SELF_HARM = "STATEMENT_CATEGORY_SELF_HARM", _("Self-harm")
    SCOPE = "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", _("Scope of the site's service")
    UNSAFE_PRODUCTS = (
        "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS",
        _("Unsafe and illegal products"),
    )
    VIOLENCE = "STATEMENT_CATEGORY_VIOLENCE", _("Violence")


class Statement(models.Model):
    """The statement of reasons of one decision, as the affected member reads it and as the
    Transparency Database receives it (field names are the database's)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    case = models.ForeignKey(
        "moderation.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="statements",
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A decision about a group: the group (`account` is then its owner; all its admins read
    # the statement and are emailed it).
    group = models.ForeignKey(
        "communities.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    enforcements = models.ManyToManyField("moderation.Enforcement", related_name="statements")
    action = models.CharField(max_length=10, choices=DecisionAction.choices)
    severity = models.PositiveSmallIntegerField(default=0)
    # The restrictions (DSA names and values; empty: none of that kind).
    decision_visibility = models.JSONField(default=list, blank=True)
    decision_monetary = models.CharField(max_length=40, blank=True)  # no money here: always ""
    decision_provision = models.CharField(max_length=50, blank=True)
    decision_account = models.CharField(max_length=40, blank=True)
    account_type = models.CharField(max_length=30, default="ACCOUNT_TYPE_PRIVATE")
    end_date_visibility_restriction = models.DateTimeField(null=True, blank=True)
    end_date_monetary_restriction = models.DateTimeField(null=True, blank=True)
    end_date_service_restriction = models.DateTimeField(null=True, blank=True)
    end_date_account_restriction = models.DateTimeField(null=True, blank=True)
    # The ground.
    decision_ground = models.CharField(max_length=40, choices=DecisionGround.choices)
    rule_id = models.BigIntegerField(null=True, blank=True)
    illegal_content_legal_ground = models.TextField(blank=True)
    illegal_content_explanation = models.TextField(blank=True)
    incompatible_content_ground = models.TextField(blank=True)  # the rule's text
    incompatible_content_explanation = models.TextField(blank=True)
    # What, why, how.
    content_type = models.JSONField(default=list)
    content_type_other = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=80, choices=StatementCategory.choices)
    decision_facts = models.TextField()
    source_type = models.CharField(max_length=40, choices=SourceType.choices)
    automated_detection = models.BooleanField(default=False)
    automated_decision = models.CharField(
        max_length=40, choices=AutomatedDecision.choices, default=AutomatedDecision.NOT_AUTOMATED
    )
    territorial_scope = models.JSONField(default=list)
    content_date = models.DateTimeField()
    application_date = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-application_date"], name="statement_account_idx"),
            models.Index(fields=["application_date"], name="statement_date_idx"),
        ]

    def __str__(self) -> str:
        return f"statement {self.pk} ({self.action})"

    @property
    def decision_label(self) -> str:
        """The decision as its reader names it (a decision about a group names the group)."""
        if self.group_id is not None:
            return str(GROUP_DECISION_LABELS.get(self.action, self.get_action_display()))
        return str(self.get_action_display())

    @property
    def explanation(self) -> str:
        if self.decision_ground == DecisionGround.ILLEGAL:
            return self.illegal_content_explanation
        return self.incompatible_content_explanation


class Strike(models.Model):
    """`points` strikes against an account, counted until `expires_at`."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.SET_NULL, related_name="strikes"
    )
    points = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account", "expires_at"], name="strike_account_idx")]

    def __str__(self) -> str:
        return f"{self.points} strikes on {self.account_id}"


class StepAction(models.TextChoices):
    WARN = "warn", _("Warning")
    LIMIT = "limit", _("Limit the account")
    FREEZE = "freeze", _("Freeze the account")
    SUSPEND = "suspend", _("Suspend the account")


class StrikeStep(models.Model):
    """A step of the ladder: when an account's active strikes reach `strikes`, `action` is
    applied automatically, for `duration_days` (None: until lifted)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    strikes = models.PositiveSmallIntegerField(unique=True)
    action = models.CharField(max_length=10, choices=StepAction.choices)
    duration_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("strikes",)

    def __str__(self) -> str:
        return f"{self.strikes}: {self.action}"


class StrikePolicy(models.Model):
    """The one row of the strikes' settings (how long a strike counts)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    expiry_days = models.PositiveIntegerField(default=365)

    def __str__(self) -> str:
        return f"strikes count {self.expiry_days} days"
