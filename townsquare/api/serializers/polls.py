"""The Poll entity."""

from __future__ import annotations

from typing import Any

from townsquare.api.serializers.common import iso
from townsquare.polls.queries import PollView


def poll(view: PollView) -> dict[str, Any]:
    """A poll that hides its totals gives no option counts (null) until it ends, except to
    its author, as Mastodon does."""
    hidden = view.poll.hide_totals and not (view.expired or view.is_author)
    entity: dict[str, Any] = {
        "id": str(view.poll.pk),
        "expires_at": iso(view.poll.expires_at),
        "expired": view.expired,
        "multiple": view.poll.multiple,
        "votes_count": view.poll.votes_count,
        "voters_count": view.poll.voters_count,
        "options": [
            {"title": option.title, "votes_count": None if hidden else option.votes_count}
            for option in view.options
        ],
        "emojis": [],
    }
    if view.signed_in:
        entity["voted"] = view.voted or view.is_author
        entity["own_votes"] = sorted(view.chosen)
    return entity
