"""The write layer for notifications: every part of the site tells members here."""

from __future__ import annotations

from django.db.models import Q

from townsquare.accounts.models import User
from townsquare.graph.queries import silenced_ids
from townsquare.notifications.models import Kind, Notification

# Kinds where one actor does the thing to one post at most once: doing it again (say, like,
# unlike, like) does not notify again.
_ONCE = {Kind.LIKE, Kind.SHARE, Kind.FOLLOW, Kind.FOLLOW_REQUEST, Kind.POLL}


def notify(
    recipient_id: int, kind: Kind, *, actor_id: int | None = None, post_id: int | None = None
) -> Notification | None:
    """Tell `recipient` that `actor` did `kind` (to `post`). Call it inside the action's
    transaction. Nothing is written for oneself, for an inactive recipient, or from someone
    blocked either way or muted with their notifications."""
    if actor_id is not None:
        if actor_id == recipient_id:
            return None
        if actor_id in silenced_ids(recipient_id, notifications=True):
            return None
    if not User.objects.filter(pk=recipient_id, is_active=True).exists():
        return None
    if kind in _ONCE:
        same = Notification.objects.filter(
            _about(post_id), recipient_id=recipient_id, kind=kind, actor_id=actor_id
        )
        if same.exists():
            return None
    return Notification.objects.create(
        recipient_id=recipient_id, kind=kind, actor_id=actor_id, post_id=post_id
    )


def withdraw(kind: Kind, *, actor_id: int, post_id: int | None = None) -> None:
    """Undo notifications when the act is undone (unlike, unshare, unfollow)."""
    Notification.objects.filter(_about(post_id), kind=kind, actor_id=actor_id).delete()


def _about(post_id: int | None) -> Q:
    return Q(post__isnull=True) if post_id is None else Q(post_id=post_id)
