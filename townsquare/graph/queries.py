"""Read-side queries for the social graph."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from townsquare.accounts.models import User
from townsquare.graph.models import Follow, FollowRequest


@dataclass(frozen=True)
class Relationship:
    following: bool = False  # viewer follows the member
    requested: bool = False  # viewer asked to follow and waits for approval
    followed_by: bool = False  # the member follows the viewer


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
    return Relationship(
        following=(viewer.pk, other.pk) in pairs,
        requested=requested,
        followed_by=(other.pk, viewer.pk) in pairs,
    )


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
