"""The write layer for follows and follow requests."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from townsquare.accounts.models import User
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.feeds import tasks as feed_tasks
from townsquare.feeds.actions import remove_author_from_home
from townsquare.graph.models import Follow, FollowRequest

FOLLOWING = "following"
REQUESTED = "requested"


def follow(follower: User, followee: User) -> str:
    """Follow `followee`, or ask to when the account approves followers.

    Returns FOLLOWING or REQUESTED. Following is idempotent. A new follow back-fills the
    followee's recent posts into the follower's home feed (in a job).
    """
    if follower.pk == followee.pk:
        raise ValidationError("You cannot follow yourself.")
    if not followee.is_active:
        raise ValidationError("That account is not available.")
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(follower.pk))
    with transaction.atomic():
        if Follow.objects.filter(follower=follower, followee=followee).exists():
            return FOLLOWING
        if followee.locked:
            FollowRequest.objects.get_or_create(follower=follower, followee=followee)
            return REQUESTED
        _create_follow(follower, followee)
    return FOLLOWING


def _create_follow(follower: User, followee: User) -> None:
    _, created = Follow.objects.get_or_create(follower=follower, followee=followee)
    FollowRequest.objects.filter(follower=follower, followee=followee).delete()
    if created:
        enqueue(feed_tasks.backfill_home, follower.pk, followee.pk)


def unfollow(follower: User, followee: User) -> None:
    """Stop following (or withdraw a request); their posts leave the follower's home feed."""
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(follower.pk))
    _end_follow(follower, followee)


def _end_follow(follower: User, followee: User) -> None:
    with transaction.atomic():
        Follow.objects.filter(follower=follower, followee=followee).delete()
        FollowRequest.objects.filter(follower=follower, followee=followee).delete()
        remove_author_from_home(follower.pk, followee.pk)


def approve_request(followee: User, request_id: int) -> None:
    """The followee accepts a pending request: it becomes a follow."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(followee.pk))
    with transaction.atomic():
        request = (
            FollowRequest.objects.select_for_update()
            .select_related("follower")
            .filter(pk=request_id, followee=followee)
            .first()
        )
        if request is None:
            raise ValidationError("That follow request no longer exists.")
        _create_follow(request.follower, followee)


def reject_request(followee: User, request_id: int) -> None:
    """The followee declines a pending request (the requester is not told)."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(followee.pk))
    deleted, _ = FollowRequest.objects.filter(pk=request_id, followee=followee).delete()
    if not deleted:
        raise ValidationError("That follow request no longer exists.")


def approve_all_requests(followee: User) -> int:
    """When an account stops approving followers, everyone waiting becomes a follower."""
    with transaction.atomic():
        requests = list(FollowRequest.objects.filter(followee=followee).select_related("follower"))
        for request in requests:
            _create_follow(request.follower, followee)
    return len(requests)


def remove_follower(followee: User, follower: User) -> None:
    """A member removes someone from their followers (who keeps nothing of theirs at home).
    The member acting is the one rate limited."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(followee.pk))
    _end_follow(follower, followee)
