"""Two-factor authentication: a member's TOTP secret and their single-use recovery codes.

The secret is stored as it is given to the authenticator app (base32), like a password
equivalent: it is shown only while setting up, never again once confirmed, and a member who
loses it disables two-factor authentication with their password and a recovery code. It is
not encrypted with a key of the site (Django has no field encryption, and the site's secret
key lives in the same data folder a backup holds; rotating it would also lock every member
out). Recovery codes are stored as keyed hashes only (see townsquare.accounts.two_factor)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TwoFactor(models.Model):
    """One row per member who set up (or is setting up) an authenticator app."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="two_factor",
    )
    secret = models.CharField(max_length=64)  # base32, as in the otpauth:// URI
    created_at = models.DateTimeField(default=timezone.now)
    # None while the member has not yet typed a code from the app: not in force.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last 30-second time step whose code was accepted: a code is never taken twice.
    last_used_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"two-factor authentication of {self.user_id}"


class RecoveryCode(models.Model):
    """A single-use code that stands in for the app's code (a lost phone)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"
