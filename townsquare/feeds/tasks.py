"""Fan-out jobs: a new post reaches its audience's home feeds in batches of followers."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Mod
from django_tasks import task

from townsquare.accounts.models import User
from townsquare.communities.models import Membership, MembershipState
from townsquare.core import metrics
from townsquare.core.jobs import BULK, INTERACTIVE, enqueue, retried
from townsquare.feeds.actions import (
    add_post_to_followers_homes,
    add_post_to_homes,
    add_to_home,
    settle_broadcaster,
    trim_home,
)
from townsquare.graph.models import Block, Follow
from townsquare.notifications.actions import notify
from townsquare.notifications.models import Kind
from townsquare.posts.models import HashtagFollow, Mention, Post, PostHashtag, Visibility
from townsquare.posts.queries import visible_to
from townsquare.realtime import publish as realtime

BACKFILL_POSTS = 40
TRIM_EVERY = 100


def _followers(author_id: int) -> QuerySet[Follow]:
    return Follow.objects.filter(followee_id=author_id, follower__is_active=True)


@task(priority=INTERACTIVE)
@retried()
def fan_out_post(post_id: int) -> int:
    """Split a post's audience into batches and enqueue one job per batch. Returns the batches."""
    post = (
        Post.objects.filter(pk=post_id)
        .values(
            "author_id",
            "visibility",
            "reblog_of_id",
            "in_reply_to_id",
            "in_reply_to_author_id",
            "group_id",
        )
        .first()
    )
    if post is None:  # deleted before the job ran
        return 0
    author_id = post["author_id"]
    if post["group_id"] is not None:  # the group's members, not the author's followers
        return _fan_out_to_group(post_id, author_id, post["group_id"])
    # Members a post mentions can see it whatever its level, and get it at home even when they
    # do not follow the author (for mentioned-only posts they are the whole audience).
    mentioned = Mention.objects.filter(post_id=post_id, user__is_active=True)
    mentioned_ids = list(mentioned.values_list("user_id", flat=True))
    add_post_to_homes(post_id, author_id, mentioned_ids)
    realtime.home_delivered(post_id, author_id, mentioned_ids)
    if post["visibility"] == Visibility.MENTIONED:
        metrics.observe_fanout(post_id)
        return 1
    if post["visibility"] == Visibility.PUBLIC and post["reblog_of_id"] is None:
        _deliver_to_hashtag_followers(post_id, author_id)
    # Followers who asked to hear of each new post (not of shares, nor of replies to others;
    # a thread of one's own counts), as Mastodon does.
    subscribed = (
        post["reblog_of_id"] is None
        and (post["in_reply_to_id"] is None or post["in_reply_to_author_id"] == author_id)
        and _followers(author_id).filter(notify=True).exists()
    )
    size = settings.TOWNSQUARE["FANOUT_BATCH_SIZE"]
    ids = list(_followers(author_id).order_by("follower_id").values_list("follower_id", flat=True))
    if settle_broadcaster(author_id, len(ids)):
        # Read from the posts table by each follower's home feed (feeds.broadcasters): no
        # rows to write, one event for the streaming processes.
        realtime.broadcast_delivered(post_id, author_id)
        if subscribed:
            enqueue(notify_subscribers, post_id)
        metrics.observe_fanout(post_id)
        return 0
    batches = 0
    with transaction.atomic():  # all the batch jobs, or none (and this job runs again)
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            enqueue(fan_out_batch, post_id, chunk[0], chunk[-1])
            batches += 1
        if subscribed:
            enqueue(notify_subscribers, post_id)
    if not batches:  # no follower: delivered (to mentions and hashtag followers) already
        metrics.observe_fanout(post_id)
    return batches


def _fan_out_to_group(post_id: int, author_id: int, group_id: int) -> int:
    members = (
        Membership.objects.filter(
            group_id=group_id, state=MembershipState.MEMBER, member__is_active=True
        )
        .exclude(member_id=author_id)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    ids = list(members)
    size = settings.TOWNSQUARE["FANOUT_BATCH_SIZE"]
    with transaction.atomic():  # all the batch jobs, or none (and this job runs again)
        for start in range(0, len(ids), size):
            enqueue(fan_out_group_batch, post_id, ids[start : start + size])
    return (len(ids) + size - 1) // size


@task(priority=INTERACTIVE)
@retried()
def fan_out_group_batch(post_id: int, member_ids: list[int]) -> int:
    """Write a group post into these members' home feeds (those still members now)."""
    post = Post.objects.filter(pk=post_id).values("author_id", "group_id").first()
    if post is None:
        return 0
    still = list(
        Membership.objects.filter(
            group_id=post["group_id"], member_id__in=member_ids, state=MembershipState.MEMBER
        ).values_list("member_id", flat=True)
    )
    add_post_to_homes(post_id, post["author_id"], still)
    realtime.home_delivered(post_id, post["author_id"], still)
    metrics.observe_fanout(post_id)
    return len(still)


@task(priority=INTERACTIVE)
@retried()
def notify_subscribers(post_id: int) -> int:
    """Tell the followers who asked to hear of each of the author's new posts (Mastodon's
    follow with `notify`): a "status" notification each. Returns how many were told."""
    post = Post.objects.filter(pk=post_id).values("author_id").first()
    if post is None:
        return 0
    author_id = post["author_id"]
    told = 0
    subscribers = _followers(author_id).filter(notify=True).order_by("follower_id")
    for follower_id in subscribers.values_list("follower_id", flat=True).iterator():
        with transaction.atomic():
            if notify(follower_id, Kind.STATUS, actor_id=author_id, post_id=post_id):
                told += 1
    return told


@task(priority=INTERACTIVE)
@retried()
def fan_out_batch(post_id: int, first_follower_id: int, last_follower_id: int) -> int:
    """Write the post into the home feeds of the author's followers with ids in a range.

    The range is re-read now, so someone who unfollowed since the post was made is skipped.
    """
    post = (
        Post.objects.filter(pk=post_id)
        .values("author_id", "in_reply_to_author_id", "reblog_of_id")
        .first()
    )
    if post is None:
        return 0
    written = add_post_to_followers_homes(
        post_id,
        post["author_id"],
        first_follower_id,
        last_follower_id,
        reply_to_author_id=post["in_reply_to_author_id"],
        reblog_of_id=post["reblog_of_id"],
    )
    realtime.home_batch_delivered(post_id, post["author_id"], first_follower_id, last_follower_id)
    # Keep feeds capped without a sweep: each batch trims a few of its members' feeds, so a
    # member's feed is trimmed about once every TRIM_EVERY posts it receives.
    keep = settings.TOWNSQUARE["HOME_FEED_CAP"]
    # The database picks them, so the batch's followers are not read a second time.
    due = (
        _followers(post["author_id"])
        .filter(follower_id__gte=first_follower_id, follower_id__lte=last_follower_id)
        .annotate(slot=Mod("follower_id", TRIM_EVERY))
        .filter(slot=post_id % TRIM_EVERY)
    )
    for owner_id in due.values_list("follower_id", flat=True):
        trim_home(owner_id, keep)
    metrics.observe_fanout(post_id)
    return written


def _deliver_to_hashtag_followers(post_id: int, author_id: int) -> None:
    """A public post reaches the home feeds of members who follow one of its hashtags (unless
    a block stands between them and the author)."""
    followers = (
        HashtagFollow.objects.filter(
            hashtag_id__in=PostHashtag.objects.filter(post_id=post_id).values("hashtag_id"),
            user__is_active=True,
        )
        .exclude(user_id=author_id)
        .exclude(user_id__in=Block.objects.filter(blocker_id=author_id).values("blocked_id"))
        .exclude(user_id__in=Block.objects.filter(blocked_id=author_id).values("blocker_id"))
        .values_list("user_id", flat=True)
        .distinct()
    )
    owners = list(followers)
    add_post_to_homes(post_id, author_id, owners)
    realtime.home_delivered(post_id, author_id, owners)


@task(priority=BULK)
@retried()
def backfill_home(follower_id: int, followee_id: int) -> int:
    """After a new follow: the followee's recent posts join the follower's home feed."""
    if not Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).exists():
        return 0
    viewer = User.objects.get(pk=follower_id)
    # (A followee's posts in groups reach members through the group, not through follows.)
    recent = visible_to(viewer, Post.objects.filter(author_id=followee_id, group__isnull=True))
    post_ids = list(recent.order_by("-id").values_list("id", flat=True)[:BACKFILL_POSTS])
    add_to_home(follower_id, post_ids, followee_id)
    return len(post_ids)
