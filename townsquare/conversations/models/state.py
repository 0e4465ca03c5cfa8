from __future__ import annotations

from django.conf import settings
from django.db import models

from townsquare.core.ids import next_id


class ConversationState(models.Model):
    """What one member did with a conversation (the direct posts of one thread): read it up
    to a post, or hid it up to a post (a newer post brings it back, as in Mastodon). The
    conversations themselves are read from the posts."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    conversation_id = models.BigIntegerField()  # the thread's root post id
    read_up_to = models.BigIntegerField(default=0)
    hidden_up_to = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "conversation_id"], name="conversation_state_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.conversation_id}"
