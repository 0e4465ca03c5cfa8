"""The write layer for follows and follow requests, blocks and mutes, featured members and
private notes about members."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from townsquare.accounts.models import User
from townsquare.accounts.restrictions import check_can_write
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.feeds import tasks as feed_tasks
from townsquare.feeds.actions import remove_author_from_home
from townsquare.graph.models import AccountNote, Block, Endorsement, Follow, FollowRequest, Mute
from townsquare.graph.models.endorsement import NOTE_MAX
from townsquare.graph.queries import is_blocked_between
from townsquare.notifications.actions import notify, withdraw
from townsquare.notifications.models import Kind
from townsquare.realtime import publish as realtime
from townsquare.site import features

MAX_MUTE = timedelta(days=365)

FOLLOWING = "following"
REQUESTED = "requested"


def follow(
    follower: User,
    followee: User,
    *,
    reblogs: bool | None = None,
    notify_posts: bool | None = None,
) -> str:
    """Follow `followee`, or ask to when the account approves followers.

    Returns FOLLOWING or REQUESTED. Following is idempotent; following again with `reblogs`
    (their shares reach the home feed) or `notify_posts` (a notification for each new post)
    changes just those options, as Mastodon does. A new follow back-fills the followee's
    recent posts into the follower's home feed (in a job).
    """
    check_can_write(follower)
    if follower.pk == followee.pk:
        raise ValidationError(gettext("You cannot follow yourself."))
    if (
        not followee.is_active
        or followee.is_suspended
        or is_blocked_between(follower.pk, followee.pk)
    ):
        raise ValidationError(gettext("That account is not available."))
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(follower.pk))
    options: dict[str, bool] = {}
    if reblogs is not None:
        options["show_reblogs"] = reblogs
    if notify_posts is not None:
        options["notify"] = notify_posts
    with transaction.atomic():
        existing = Follow.objects.filter(follower=follower, followee=followee)
        if existing.exists():
            if options:
                existing.update(**options)
            return FOLLOWING
        if friends_mode() and not followee.is_page:  # a page is followed, never befriended
            return _befriend(follower, followee, options)
        if followee.locked:
            request, created = FollowRequest.objects.get_or_create(
                follower=follower, followee=followee, defaults=options
            )
            if created:
                notify(followee.pk, Kind.FOLLOW_REQUEST, actor_id=follower.pk)
            elif options:
                FollowRequest.objects.filter(pk=request.pk).update(**options)
            return REQUESTED
        _create_follow(
            follower,
            followee,
            show_reblogs=options.get("show_reblogs", True),
            notify_posts=options.get("notify", False),
        )
    return FOLLOWING


def friends_mode() -> bool:
    """The operator's choice: connections need both sides to agree, and are mutual."""
    return features.enabled("friends_mode")


def _befriend(member: User, other: User, options: dict[str, bool]) -> str:
    """Friends mode: a friend request, or, when `other` asked first (or already follows
    `member`), the friendship itself: a follow each way. Inside the caller's transaction;
    the two members' rows are locked first (in id order), so two people adding each other
    at the same moment make one friendship, not two waiting requests."""
    list(User.objects.select_for_update().filter(pk__in=[member.pk, other.pk]).order_by("pk"))
    asked = FollowRequest.objects.select_for_update().filter(follower=other, followee=member)
    their_request = asked.first()
    if their_request is not None or Follow.objects.filter(follower=other, followee=member).exists():
        # `member` is the one acting: `other` hears of the friendship, `member` does not.
        _create_follow(
            member,
            other,
            show_reblogs=options.get("show_reblogs", True),
            notify_posts=options.get("notify", False),
        )
        if their_request is not None:
            _create_follow(
                other,
                member,
                show_reblogs=their_request.show_reblogs,
                notify_posts=their_request.notify,
                tell=False,
            )
        return FOLLOWING
    request, created = FollowRequest.objects.get_or_create(
        follower=member, followee=other, defaults=options
    )
    if created:
        notify(other.pk, Kind.FOLLOW_REQUEST, actor_id=member.pk)
    elif options:
        FollowRequest.objects.filter(pk=request.pk).update(**options)
    return REQUESTED


def _create_follow(
    follower: User,
    followee: User,
    *,
    show_reblogs: bool = True,
    notify_posts: bool = False,
    tell: bool = True,
) -> None:
    """The follow, its feed back-fill and (unless `tell` is False) the followee's notice."""
    _, created = Follow.objects.get_or_create(
        follower=follower,
        followee=followee,
        defaults={"show_reblogs": show_reblogs, "notify": notify_posts},
    )
    FollowRequest.objects.filter(follower=follower, followee=followee).delete()
    withdraw(Kind.FOLLOW_REQUEST, actor_id=follower.pk, recipient_id=followee.pk)
    if created:
        if tell:
            notify(followee.pk, Kind.FOLLOW, actor_id=follower.pk)
        enqueue(feed_tasks.backfill_home, follower.pk, followee.pk)


def unfollow(follower: User, followee: User) -> None:
    """Stop following (or withdraw a request); their posts leave the follower's home feed.
    In friends mode this ends the friendship: the follows both ways."""
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(follower.pk))
    with transaction.atomic():
        _end_follow(follower, followee)
        if friends_mode() and not followee.is_page:
            _end_follow(followee, follower)


def _end_follow(follower: User, followee: User) -> None:
    with transaction.atomic():
        Follow.objects.filter(follower=follower, followee=followee).delete()
        FollowRequest.objects.filter(follower=follower, followee=followee).delete()
        Endorsement.objects.filter(member=follower, endorsed=followee).delete()
        remove_author_from_home(follower.pk, followee.pk)
        withdraw(Kind.FOLLOW_REQUEST, actor_id=follower.pk, recipient_id=followee.pk)


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
            raise ValidationError(gettext("That follow request no longer exists."))
        friends = friends_mode()
        _create_follow(
            request.follower,
            followee,
            show_reblogs=request.show_reblogs,
            notify_posts=request.notify,
            tell=not friends,  # in friends mode the one accepting needs no notice
        )
        if friends:  # accepting a friend request: the friendship goes both ways
            _create_follow(followee, request.follower)


def reject_request(followee: User, request_id: int) -> None:
    """The followee declines a pending request (the requester is not told)."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(followee.pk))
    with transaction.atomic():
        request = FollowRequest.objects.filter(pk=request_id, followee=followee).first()
        if request is None:
            raise ValidationError(gettext("That follow request no longer exists."))
        request.delete()
        withdraw(Kind.FOLLOW_REQUEST, actor_id=request.follower_id, recipient_id=followee.pk)


def approve_all_requests(followee: User) -> int:
    """When an account stops approving followers, everyone waiting becomes a follower
    (not in friends mode, where every connection waits for its answer)."""
    if friends_mode():
        return 0
    with transaction.atomic():
        requests = list(FollowRequest.objects.filter(followee=followee).select_related("follower"))
        for request in requests:
            _create_follow(
                request.follower,
                followee,
                show_reblogs=request.show_reblogs,
                notify_posts=request.notify,
            )
    return len(requests)


def remove_follower(followee: User, follower: User) -> None:
    """A member removes someone from their followers (who keeps nothing of theirs at home).
    The member acting is the one rate limited."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(followee.pk))
    with transaction.atomic():
        _end_follow(follower, followee)
        if friends_mode():
            _end_follow(followee, follower)


def block(blocker: User, blocked: User) -> None:
    """Block a member: follows both ways and pending requests end, each leaves the other's
    home feed, and from now on neither sees, follows, mentions or messages the other."""
    if blocker.pk == blocked.pk:
        raise ValidationError(gettext("You cannot block yourself."))
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(blocker.pk))
    with transaction.atomic():
        Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        _end_follow(blocker, blocked)
        _end_follow(blocked, blocker)
        realtime.silencing_changed(blocker.pk, blocked.pk)


def unblock(blocker: User, blocked: User) -> None:
    """Lift a block (follows that ended stay ended)."""
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(blocker.pk))
    with transaction.atomic():
        Block.objects.filter(blocker=blocker, blocked=blocked).delete()
        realtime.silencing_changed(blocker.pk, blocked.pk)


def mute(
    muter: User,
    muted: User,
    *,
    notifications: bool = True,
    duration: timedelta | None = None,
) -> Mute:
    """Hide a member's posts (and, with `notifications`, their notifications) from oneself,
    for good or for `duration`. They are not told; follows stay as they are."""
    if muter.pk == muted.pk:
        raise ValidationError(gettext("You cannot mute yourself."))
    if duration is not None and not timedelta(minutes=1) <= duration <= MAX_MUTE:
        raise ValidationError(gettext("Mute for between a minute and a year, or until you unmute."))
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(muter.pk))
    expires_at = timezone.now() + duration if duration is not None else None
    with transaction.atomic():
        row, _ = Mute.objects.update_or_create(
            muter=muter,
            muted=muted,
            defaults={"hide_notifications": notifications, "expires_at": expires_at},
        )
        realtime.silencing_changed(muter.pk)
    return row


def unmute(muter: User, muted: User) -> None:
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(muter.pk))
    with transaction.atomic():
        Mute.objects.filter(muter=muter, muted=muted).delete()
        realtime.silencing_changed(muter.pk)


def endorse(member: User, other: User) -> None:
    """Feature a member one follows on one's profile (featuring them again changes nothing)."""
    if member.pk == other.pk:
        raise ValidationError(gettext("You cannot feature yourself."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        # Locked, so an unfollow (which ends the endorsement) cannot slip in between.
        following = Follow.objects.select_for_update().filter(follower=member, followee=other)
        if not following.exists():
            raise ValidationError(gettext("You can only feature someone you follow."))
        Endorsement.objects.get_or_create(member=member, endorsed=other)


def unendorse(member: User, other: User) -> None:
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    Endorsement.objects.filter(member=member, endorsed=other).delete()


def set_note(author: User, target: User, comment: str) -> None:
    """Keep a private note about a member (seen by its author only); an empty one is removed."""
    comment = comment.strip()
    if len(comment) > NOTE_MAX:
        raise ValidationError(
            gettext("A note can be at most %(count)d characters.") % {"count": NOTE_MAX}
        )
    if author.pk == target.pk:
        raise ValidationError(gettext("You cannot keep a note about yourself."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(author.pk))
    if not comment:
        AccountNote.objects.filter(author=author, target=target).delete()
        return
    AccountNote.objects.update_or_create(
        author=author, target=target, defaults={"comment": comment, "updated_at": timezone.now()}
    )


def settle_friend_requests() -> int:
    """When the operator switches friends mode off: the requests waiting for members who do
    not approve followers become follows, as on a follow-based site they would have been.
    Returns how many."""
    settled = 0
    while True:
        with transaction.atomic():
            batch = list(
                FollowRequest.objects.select_for_update()
                .filter(followee__locked=False)
                .select_related("follower", "followee")[:500]
            )
            for request in batch:
                _create_follow(
                    request.follower,
                    request.followee,
                    show_reblogs=request.show_reblogs,
                    notify_posts=request.notify,
                )
        settled += len(batch)
        if len(batch) < 500:
            return settled
