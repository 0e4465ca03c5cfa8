from __future__ import annotations

from django.db import models

from townsquare.core.ids import next_id


class Rule(models.Model):
    """One of the site's rules, shown at sign-up, on the rules page and to apps (Mastodon's
    instance rules); reports can name the rule broken."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    text = models.CharField(max_length=300)
    hint = models.CharField(max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.text
