"""What members do with posts they see: like, share, bookmark, pin; follow hashtags."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext, gettext_lazy

from townsquare.accounts.models import User
from townsquare.accounts.restrictions import check_can_write
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.feeds import tasks as feed_tasks
from townsquare.feeds.actions import add_to_home
from townsquare.notifications.actions import notify, withdraw
from townsquare.notifications.models import Kind
from townsquare.posts.actions.publishing import shareable_outside
from townsquare.posts.models import (
    Bookmark,
    Hashtag,
    HashtagFollow,
    Like,
    Pin,
    Post,
    Visibility,
)
from townsquare.posts.queries import OPEN, can_see
from townsquare.realtime import publish as realtime

MAX_PINS = 5
NOT_AVAILABLE = gettext_lazy("That post is not available.")


def _seen_original(member: User, post: Post) -> Post:
    """The post acted on (a share stands for its original), if `member` may see it; otherwise
    the same error as for a post that does not exist."""
    if post.reblog_of_id is not None:
        post = post.reblog_of  # type: ignore[assignment]
    if post is None or not can_see(member, post):
        raise ValidationError(str(NOT_AVAILABLE))
    return post


def like(member: User, post: Post) -> Post:
    check_can_write(member)
    post = _seen_original(member, post)
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        _, created = Like.objects.get_or_create(user=member, post=post)
        if created:
            Post.objects.filter(pk=post.pk).update(likes_count=F("likes_count") + 1)
            notify(post.author_id, Kind.LIKE, actor_id=member.pk, post_id=post.pk)
    return post


def unlike(member: User, post: Post) -> Post:
    if post.reblog_of_id is not None:
        post = post.reblog_of  # type: ignore[assignment]
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=member, post=post).delete()
        if deleted:
            Post.objects.filter(pk=post.pk, likes_count__gt=0).update(
                likes_count=F("likes_count") - 1
            )
            withdraw(Kind.LIKE, actor_id=member.pk, post_id=post.pk)
    return post


def share(member: User, post: Post, *, visibility: int = Visibility.PUBLIC) -> Post:
    """Share (boost) a public or unlisted post to one's followers. Sharing twice is one share.
    Returns the share."""
    check_can_write(member)
    original = _seen_original(member, post)
    if original.visibility not in OPEN:
        raise ValidationError(gettext("Only public posts can be shared."))
    if not shareable_outside(original):
        raise ValidationError(gettext("Posts of a private or secret group stay in the group."))
    level = Visibility(visibility) if visibility in Visibility.values else Visibility.PUBLIC
    if level == Visibility.MENTIONED:
        raise ValidationError(gettext("A share goes to your followers or everyone."))
    ratelimit.POSTS_PER_ACCOUNT.hit(str(member.pk))
    existing = Post.objects.filter(author=member, reblog_of=original).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            shared = Post.objects.create(
                author=member, text="", html="", visibility=level, reblog_of=original
            )
            Post.objects.filter(pk=shared.pk).update(conversation_id=shared.pk)
            Post.objects.filter(pk=original.pk).update(shares_count=F("shares_count") + 1)
            notify(original.author_id, Kind.SHARE, actor_id=member.pk, post_id=original.pk)
            add_to_home(member.pk, [shared.pk], member.pk)
            enqueue(feed_tasks.fan_out_post, shared.pk)
            realtime.post_created(shared.pk, member.pk)
    except IntegrityError:  # shared at the same moment from another tab
        return Post.objects.get(author=member, reblog_of=original)
    return shared


def unshare(member: User, post: Post) -> None:
    original_id = post.reblog_of_id or post.pk
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        deleted, _ = Post.objects.filter(author=member, reblog_of_id=original_id).delete()
        if deleted:
            Post.objects.filter(pk=original_id, shares_count__gt=0).update(
                shares_count=F("shares_count") - 1
            )
            withdraw(Kind.SHARE, actor_id=member.pk, post_id=original_id)


def bookmark(member: User, post: Post) -> Post:
    post = _seen_original(member, post)
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    Bookmark.objects.get_or_create(user=member, post=post)
    return post


def unbookmark(member: User, post: Post) -> None:
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    Bookmark.objects.filter(user=member, post_id=post.reblog_of_id or post.pk).delete()


def pin(member: User, post: Post) -> None:
    """Show one of one's own posts at the top of one's profile (at most MAX_PINS)."""
    if post.author_id != member.pk or post.reblog_of_id is not None:
        raise ValidationError(gettext("You can pin only your own posts."))
    if post.visibility == Visibility.MENTIONED:
        raise ValidationError(gettext("Posts for mentioned people only cannot be pinned."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        # The member's row is the lock: two pins at once are counted one after the other.
        User.objects.select_for_update().filter(pk=member.pk).exists()
        pinned = list(Pin.objects.filter(user=member).values_list("post_id", flat=True))
        if post.pk in pinned:
            return
        if len(pinned) >= MAX_PINS:
            raise ValidationError(
                gettext("You can pin at most %(count)d posts; unpin one first.")
                % {"count": MAX_PINS}
            )
        Pin.objects.create(user=member, post=post)


def unpin(member: User, post: Post) -> None:
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    Pin.objects.filter(user=member, post=post).delete()


def follow_hashtag(member: User, name: str) -> Hashtag:
    """Follow a hashtag: its public posts from now on reach the member's home feed."""
    name = name.strip().lstrip("#").lower()
    if not name or len(name) > 100 or not name.replace("_", "").isalnum():
        raise ValidationError(gettext("That is not a hashtag."))
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(member.pk))
    tag, _ = Hashtag.objects.get_or_create(name=name)
    HashtagFollow.objects.get_or_create(user=member, hashtag=tag)
    return tag


def unfollow_hashtag(member: User, name: str) -> None:
    ratelimit.FOLLOWS_PER_ACCOUNT.hit(str(member.pk))
    HashtagFollow.objects.filter(
        user=member, hashtag__name=name.strip().lstrip("#").lower()
    ).delete()
