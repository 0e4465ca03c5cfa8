"""The Relationship entity: how the caller stands with other accounts, for any number of them
in one query (graph.queries.relationships)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from townsquare.accounts.models import User
from townsquare.graph.queries import Relationship, relationships


def entity(other_id: int, found: Relationship) -> dict[str, Any]:
    return {
        "id": str(other_id),
        "following": found.following,
        "showing_reblogs": found.showing_reblogs if (found.following or found.requested) else False,
        "notifying": found.notifying if (found.following or found.requested) else False,
        "languages": None,
        "followed_by": found.followed_by,
        "blocking": found.blocking,
        "blocked_by": found.blocked_by,
        "muting": found.muting,
        "muting_notifications": found.muting and found.muting_notifications,
        "requested": found.requested,
        "requested_by": found.requested_by,
        "domain_blocking": False,
        "endorsed": found.endorsed,
        "note": found.note,
    }


def relationships_with(viewer: User, other_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Relationship entities for `other_ids`, in their order (repeats dropped). Oneself
    gets the empty relationship, as Mastodon answers."""
    order = list(dict.fromkeys(other_ids))
    found = relationships(viewer.pk, [i for i in order if i != viewer.pk])
    return [entity(other, found.get(other, Relationship())) for other in order]


def relationship_with(viewer: User, other_id: int) -> dict[str, Any]:
    return relationships_with(viewer, [other_id])[0]
