"""Read-side queries for the social graph."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.graph.models import Block, Follow, FollowRequest, Mute


@dataclass(frozen=True)
class Relationship:
    following: bool = False  # viewer follows the member
    requested: bool = False  # viewer asked to follow and waits for approval
    followed_by: bool = False  # the member follows the viewer
    blocking: bool = False  # viewer blocked the member
    blocked_by: bool = False  # the member blocked the viewer
    muting: bool = False  # viewer muted the member


def relationship(viewer: User | None, other: User) -> Relationship:
    if viewer is None or not viewer.is_authenticated or viewer.pk == other.pk:
        return Relationship()
    pairs = set(
        Follow.objects.filter(
            follower__in=[viewer, other], followee__in=[viewer, other]
        ).values_list("follower_id", "followee_id")
    )
    requested = (viewer.pk, other.pk) not in pairs and FollowRequest.objects.filter(
        follower=viewer, followee=other
    ).exists()
    blocks = set(
        Block.objects.filter(blocker__in=[viewer, other], blocked__in=[viewer, other]).values_list(
            "blocker_id", flat=True
        )
    )
    return Relationship(
        following=(viewer.pk, other.pk) in pairs,
        requested=requested,
        followed_by=(other.pk, viewer.pk) in pairs,
        blocking=viewer.pk in blocks,
        blocked_by=other.pk in blocks,
        muting=active_mutes(viewer.pk).filter(muted_id=other.pk).exists(),
    )


def is_blocked_between(first_id: int, second_id: int) -> bool:
    """Whether either member blocked the other."""
    return Block.objects.filter(
        Q(blocker_id=first_id, blocked_id=second_id) | Q(blocker_id=second_id, blocked_id=first_id)
    ).exists()


def active_mutes(muter_id: int) -> QuerySet[Mute]:
    """`muter`'s mutes that have not expired."""
    return Mute.objects.filter(muter_id=muter_id).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def silenced_ids(member_id: int, *, notifications: bool = False) -> set[int]:
    """Members whose posts (or, with `notifications`, notifications) `member` does not want:
    the ones they blocked, who blocked them, or whom they muted."""
    blocked = Block.objects.filter(Q(blocker_id=member_id) | Q(blocked_id=member_id))
    ids = {
        other
        for pair in blocked.values_list("blocker_id", "blocked_id")
        for other in pair
        if other != member_id
    }
    mutes = active_mutes(member_id)
    if notifications:
        mutes = mutes.filter(hide_notifications=True)
    ids.update(mutes.values_list("muted_id", flat=True))
    return ids


def blocked_either_way(member_id: int, author_field: str) -> Q:
    """Rows whose member (at `author_field`) blocked `member` or was blocked by them."""
    return Q(
        Exists(Block.objects.filter(blocker_id=member_id, blocked_id=OuterRef(author_field)))
    ) | Q(Exists(Block.objects.filter(blocked_id=member_id, blocker_id=OuterRef(author_field))))


def silencing(member_id: int, author_field: str, *, notifications: bool = False) -> Q:
    """The same members as `silenced_ids`, as a condition on the member id in `author_field`
    of the rows being filtered (a subquery, so the caller makes one query)."""
    now = timezone.now()
    mutes = Mute.objects.filter(muter_id=member_id, muted_id=OuterRef(author_field)).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if notifications:
        mutes = mutes.filter(hide_notifications=True)
    return blocked_either_way(member_id, author_field) | Q(Exists(mutes))


def blocked_list(user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user).select_related("blocked").order_by("-id")


def muted_list(user: User) -> QuerySet[Mute]:
    return active_mutes(user.pk).select_related("muted").order_by("-id")


def followers_of(user: User) -> QuerySet[Follow]:
    """Accepted follows of `user`, newest first (paginate by Follow id)."""
    return (
        Follow.objects.filter(followee=user, follower__is_active=True)
        .select_related("follower")
        .order_by("-id")
    )


def following_of(user: User) -> QuerySet[Follow]:
    return (
        Follow.objects.filter(follower=user, followee__is_active=True)
        .select_related("followee")
        .order_by("-id")
    )


def pending_requests(user: User) -> QuerySet[FollowRequest]:
    return FollowRequest.objects.filter(followee=user).select_related("follower").order_by("-id")


def counts(user: User) -> dict[str, int]:
    return {
        "followers": Follow.objects.filter(followee=user, follower__is_active=True).count(),
        "following": Follow.objects.filter(follower=user, followee__is_active=True).count(),
    }
