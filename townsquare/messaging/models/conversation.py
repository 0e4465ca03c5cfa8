from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id

TITLE_MAX = 80


class Conversation(models.Model):
    """A one-to-one or group conversation. A one-to-one conversation has `pair_key` (the two
    member ids, smaller first), so two members never have two of them."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    is_group = models.BooleanField(default=False)
    title = models.CharField(max_length=TITLE_MAX, blank=True)
    pair_key = models.CharField(max_length=41, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The newest message's id (0 before the first): orders the inbox, and a participant has
    # unread messages when it is above their `last_read_id`.
    last_message_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.title or f"conversation {self.pk}"


class ParticipantState(models.IntegerChoices):
    ACCEPTED = 0, "In the inbox"
    REQUEST = 1, "A message request"
    DECLINED = 2, "A declined request"


class Participant(models.Model):
    """A member in a conversation, with what they have read and how they keep it."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.PositiveSmallIntegerField(
        choices=ParticipantState.choices, default=ParticipantState.ACCEPTED
    )
    joined_at = models.DateTimeField(default=timezone.now)
    # Set when the member left a group conversation: they no longer see it at all.
    left_at = models.DateTimeField(null=True, blank=True)
    muted = models.BooleanField(default=False)
    last_read_id = models.BigIntegerField(default=0)
    # Messages up to this id are gone for this member (they deleted the conversation; it
    # comes back with the next new message).
    cleared_before_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "member"], name="participant_unique")
        ]
        indexes = [models.Index(fields=["member", "state"], name="participant_member_state")]
