from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from townsquare.notifications.models.notification import Kind


class Delivery(models.TextChoices):
    IMMEDIATELY = "immediately", _("As they happen")
    DIGEST = "digest", _("Once a day, in a digest")
    NEVER = "never", _("Never")


# Emailed unless the member says otherwise: things addressed to them, not likes and shares.
DEFAULT_EMAIL_KINDS = (
    Kind.MENTION.value,
    Kind.REPLY.value,
    Kind.QUOTE.value,
    Kind.FOLLOW.value,
    Kind.FOLLOW_REQUEST.value,
    Kind.POLL.value,
)


def default_email_kinds() -> list[str]:
    return list(DEFAULT_EMAIL_KINDS)


class NotificationPreferences(models.Model):
    """Which notifications a member wants by email, and how often. No row means defaults."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    email_kinds = models.JSONField(default=default_email_kinds)  # Kind values
    delivery = models.CharField(
        max_length=12, choices=Delivery.choices, default=Delivery.IMMEDIATELY
    )
    # The digest: it covers unread notifications with ids above `digest_after_id`. While a
    # digest job waits, `digest_token` names it and `digest_due_at` says when it runs.
    last_digest_at = models.DateTimeField(null=True, blank=True)
    digest_after_id = models.BigIntegerField(default=0)
    digest_token = models.BigIntegerField(null=True, blank=True)
    digest_due_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"notification preferences of {self.member_id}"

    def emails(self, kind: str) -> bool:
        """Whether `kind` is emailed at all (now or in the digest)."""
        return self.delivery != Delivery.NEVER and kind in self.email_kinds
