"""Appeals against a decision (DSA article 20): the affected member, or a member who reported
the case, asks for the decision of a `Statement` to be reviewed; another moderator upholds or
reverses it (`moderation.appeals`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class AppealRole(models.TextChoices):
    AFFECTED = "affected", _("The affected member")
    REPORTER = "reporter", _("A member who reported")


class AppealState(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Decision upheld")
    REVERSED = "reversed", _("Decision reversed")


class Appeal(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    statement = models.ForeignKey(
        "moderation.Statement", on_delete=models.CASCADE, related_name="appeals"
    )
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
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

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.state})"
