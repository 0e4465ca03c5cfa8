from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class IpBlock(models.Model):
    """A network (an address or a CIDR range, IPv4 or IPv6) that may not sign up or log in, until
    `expires_at` (None: until removed). Managed at /admin/ip-blocks."""

    network = models.CharField(max_length=49, unique=True)  # normalised: "203.0.113.0/24"
    note = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    def __str__(self) -> str:
        return self.network
