"""The write layer for conversations: marking one read, and hiding it."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import Http404

from townsquare.accounts.models import User
from townsquare.conversations.models import ConversationState
from townsquare.conversations.queries import Conversation, get_conversation


def _state(member: User, conversation_id: int, **changes: int) -> None:
    for _ in range(2):  # a second try when another request made the row meanwhile
        try:
            with transaction.atomic():
                row, created = ConversationState.objects.select_for_update().get_or_create(
                    member=member, conversation_id=conversation_id, defaults=changes
                )
                if not created:
                    for name, value in changes.items():
                        setattr(row, name, max(getattr(row, name), value))
                    row.save(update_fields=list(changes))
            return
        except IntegrityError:
            continue


def mark_read(member: User, conversation_id: int) -> Conversation:
    """Mark a conversation read up to its newest post (Http404 when it is not the member's)."""
    found = get_conversation(member, conversation_id)
    if found is None:
        raise Http404
    _state(member, conversation_id, read_up_to=found.last_post_id)
    return Conversation(found.id, found.last_post_id, unread=False)


def hide(member: User, conversation_id: int) -> None:
    """Remove a conversation from the member's list (a newer post brings it back); read too."""
    found = get_conversation(member, conversation_id)
    if found is None:
        raise Http404
    _state(
        member,
        conversation_id,
        read_up_to=found.last_post_id,
        hidden_up_to=found.last_post_id,
    )
