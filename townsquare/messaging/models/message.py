from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id

MESSAGE_MAX = 5000


class MessageKind(models.IntegerChoices):
    TEXT = 0, "A message"
    JOINED = 1, "Added people"  # text: the names added
    LEFT = 2, "Left"


class Message(models.Model):
    """One message. Unsending it for everyone clears its text and keeps the row (a marker
    in the conversation); deleting it for oneself is a `HiddenMessage`."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    conversation = models.ForeignKey(
        "messaging.Conversation", on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.PositiveSmallIntegerField(choices=MessageKind.choices, default=MessageKind.TEXT)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    unsent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "id"], name="message_conversation_id")]


class HiddenMessage(models.Model):
    """A message one member deleted for themselves."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "message"], name="hidden_message_unique")
        ]
