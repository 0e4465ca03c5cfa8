"""The Conversation entity (a thread of direct posts, as one member sees it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from townsquare.accounts.models import User
from townsquare.api.serializers.accounts import accounts_by_id
from townsquare.api.serializers.statuses import statuses
from townsquare.conversations import queries
from townsquare.posts.queries import posts_by_id


def conversation_entities(
    member: User, found: Sequence[queries.Conversation]
) -> list[dict[str, Any]]:
    """Conversation entities for a page, in a fixed number of queries."""
    last_ids = [c.last_post_id for c in found]
    posts = posts_by_id(member, last_ids)
    shown = {int(s["id"]): s for s in statuses(member, [posts[i] for i in last_ids if i in posts])}
    people = queries.participants(member, last_ids)
    everyone = accounts_by_id({pk for ids in people.values() for pk in ids})
    out = []
    for conversation in found:
        ids = sorted(people.get(conversation.last_post_id, set()))
        out.append(
            {
                "id": str(conversation.id),
                "unread": conversation.unread,
                "accounts": [everyone[pk] for pk in ids if pk in everyone],
                "last_status": shown.get(conversation.last_post_id),
            }
        )
    return out
