"""Appeals against a decision (DSA article 20): the affected member, a member who reported the
case, or a notifier without an account (through the signed link of their decision email) asks
for a decision to be reviewed; another moderator upholds or reverses it (`moderation.appeals`).
The decision is a `Statement` (an action was taken) or a `Case` closed without one (a
dismissal): exactly one of the two is set."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class AppealRole(models.TextChoices):
    AFFECTED = "affected", _("The affected member")
    REPORTER = "reporter", _("A member who reported")
    NOTIFIER = "notifier", _("Someone who sent a notice")


class AppealState(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Decision upheld")
    REVERSED = "reversed", _("Decision reversed")


class Appeal(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    statement = models.ForeignKey(
        "moderation.Statement",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="appeals",
    )
    # A case closed without a statement (dismissed, or resolved without an action).
    case = models.ForeignKey(
        "moderation.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="appeals"
    )
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The notice of a notifier's appeal (role "notifier"; the outcome goes to its email).
    notice = models.ForeignKey(
        "moderation.Notice",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="appeals",
        db_index=False,
    )
    role = models.CharField(max_length=10, choices=AppealRole.choices)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=AppealState.choices, default=AppealState.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"], name="appeal_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(statement__isnull=False, case__isnull=True)
                    | models.Q(statement__isnull=True, case__isnull=False)
                ),
                name="appeal_statement_or_case",
            ),
            models.UniqueConstraint(
                fields=["notice", "statement"],
                condition=models.Q(state="open", notice__isnull=False, statement__isnull=False),
                name="appeal_one_open_per_notice_statement",
            ),
            models.UniqueConstraint(
                fields=["notice", "case"],
                condition=models.Q(state="open", notice__isnull=False, case__isnull=False),
                name="appeal_one_open_per_notice_case",
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.state})"

    @property
    def is_of_dismissal(self) -> bool:
        return self.case_id is not None
