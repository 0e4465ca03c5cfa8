from __future__ import annotations

from django.db import models
from django.utils import timezone


class FeatureSwitch(models.Model):
    """An operator's choice for one feature. A feature without a row is on (the default)."""

    name = models.CharField(max_length=40, primary_key=True)
    enabled = models.BooleanField(default=True)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name}: {'on' if self.enabled else 'off'}"
