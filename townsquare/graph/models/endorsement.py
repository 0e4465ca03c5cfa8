from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id

NOTE_MAX = 2000  # characters in a private note about a member (Mastodon's limit)


class Endorsement(models.Model):
    """`member` features `endorsed` on their profile (Mastodon's "endorsement", an account
    pin). Only someone the member follows can be featured; unfollowing ends it."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endorsed = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "endorsed"], name="endorsement_unique"),
            models.CheckConstraint(
                condition=~models.Q(member=models.F("endorsed")), name="endorsement_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} features {self.endorsed_id}"


class AccountNote(models.Model):
    """`author`'s private note about `target`: shown to the author only."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    comment = models.TextField(max_length=NOTE_MAX)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "target"], name="account_note_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.author_id}'s note on {self.target_id}"
