"""The Notification entity, for a page in a fixed number of queries: the posts (through the
visibility decision) and their Status entities, then the actors' accounts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from townsquare.accounts.models import User
from townsquare.api.serializers.accounts import accounts_by_id
from townsquare.api.serializers.common import iso
from townsquare.api.serializers.statuses import statuses
from townsquare.notifications.models import Kind
from townsquare.notifications.queries import NotificationRow
from townsquare.posts.queries import posts_by_id

# Townsquare's kinds as Mastodon's notification types. A reply is a mention to Mastodon
# apps (replies mention whom they answer). Quotes have no type Mastodon 4.2 apps know, so
# they are not listed through the API (they stay on the site's notifications page).
TYPE_OF: dict[str, str] = {
    Kind.MENTION: "mention",
    Kind.REPLY: "mention",
    Kind.LIKE: "favourite",
    Kind.SHARE: "reblog",
    Kind.FOLLOW: "follow",
    Kind.FOLLOW_REQUEST: "follow_request",
    Kind.POLL: "poll",
}
# Every type Mastodon defines, and the kinds behind each ("status" and "update" never happen
# here: no one subscribes to a member's posts, and edits of shared posts are not told).
KINDS_OF: dict[str, tuple[str, ...]] = {
    "mention": (Kind.MENTION.value, Kind.REPLY.value),
    "status": (),
    "reblog": (Kind.SHARE.value,),
    "follow": (Kind.FOLLOW.value,),
    "follow_request": (Kind.FOLLOW_REQUEST.value,),
    "favourite": (Kind.LIKE.value,),
    "poll": (Kind.POLL.value,),
    "update": (),
    "admin.sign_up": (),
    "admin.report": (),
    "severed_relationships": (),
    "moderation_warning": (),
}
LISTED_KINDS: frozenset[str] = frozenset(str(kind) for kind in TYPE_OF)


def kinds_for(types: Iterable[str] | None, exclude_types: Iterable[str] | None) -> list[str]:
    """The kinds to list for Mastodon's `types[]` and `exclude_types[]` (unknown types are
    ignored, as Mastodon does)."""
    wanted = list(types or [])
    kinds = (
        {kind for name in wanted for kind in KINDS_OF.get(name, ())}
        if wanted
        else set(LISTED_KINDS)
    )
    for name in exclude_types or []:
        kinds -= set(KINDS_OF.get(name, ()))
    return sorted(kinds)


def notifications(member: User, rows: Sequence[NotificationRow]) -> list[dict[str, Any]]:
    """Notification entities for `rows`, in their order; those whose post or actor cannot be
    shown are left out."""
    rows = [row for row in rows if row.kind in LISTED_KINDS]
    post_ids = sorted({row.post_id for row in rows if row.post_id is not None})
    posts = posts_by_id(member, post_ids)
    entities = {
        entity["id"]: entity
        for entity in statuses(member, [posts[pid] for pid in post_ids if pid in posts])
    }
    actor_ids: dict[int, int] = {}
    for row in rows:
        actor = row.actor_id
        if actor is None and row.post_id in posts:  # an ended poll: its author speaks
            actor = posts[row.post_id].author_id
        if actor is not None:
            actor_ids[row.id] = actor
    accounts = accounts_by_id(set(actor_ids.values()))
    out: list[dict[str, Any]] = []
    for row in rows:
        account = accounts.get(actor_ids.get(row.id, 0))
        if account is None:
            continue
        entity: dict[str, Any] = {
            "id": str(row.id),
            "type": TYPE_OF[row.kind],
            "created_at": iso(row.created_at),
            "group_key": f"ungrouped-{row.id}",
            "account": account,
        }
        if row.post_id is not None:
            status = entities.get(str(row.post_id))
            if status is None:
                continue
            entity["status"] = status
        out.append(entity)
    return out
