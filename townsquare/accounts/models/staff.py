from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class StaffRole(models.Model):
    """A role an admin builds from named permissions (`accounts.permissions.PERMISSIONS`)
    and gives to members beside the built-in admin and moderator roles."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    name = models.CharField(max_length=40, unique=True)
    permissions = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Invite(models.Model):
    """An invite link: `/signup?invite=<code>`, usable until it expires, is used up or is
    withdrawn. Members create them when the site lets them (SiteSettings.invite_policy)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    code = models.CharField(max_length=24, unique=True)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)  # None: never
    max_uses = models.PositiveIntegerField(null=True, blank=True)  # None: any number
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.code


class ApplicationState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Application(models.Model):
    """Someone asking to join a site that approves new members: the account exists but cannot
    log in (and is seen nowhere) until a moderator accepts it. A declined applicant's account
    is deleted; this row keeps the decision (without the account) for the record."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="application",
    )
    username = models.CharField(max_length=30)
    email = models.EmailField(max_length=254)
    answer = models.TextField(max_length=1000, blank=True)
    state = models.CharField(
        max_length=8, choices=ApplicationState.choices, default=ApplicationState.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(max_length=1000, blank=True)  # sent to a declined applicant

    class Meta:
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(state="pending"), name="application_pending_idx"
            )
        ]

    def __str__(self) -> str:
        return f"application of {self.username}"
