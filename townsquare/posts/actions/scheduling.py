"""Scheduled posts: written now, published by a job at the chosen time."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.media import actions as media_actions
from townsquare.polls import actions as poll_actions
from townsquare.posts.actions.publishing import (
    NOT_AVAILABLE,
    PollSpec,
    _clean_spoiler,
    _clean_text,
    _level,
    create_post,
)
from townsquare.posts.models import Post, ScheduledPost
from townsquare.posts.queries import can_see

logger = logging.getLogger(__name__)

MIN_DELAY = timedelta(minutes=5)
MAX_SCHEDULED = 300  # waiting at once, per member (as Mastodon)
MAX_PER_DAY = 25  # to be published on any one day, per member


def _check_time(author: User, scheduled_at: datetime, *, moving: int | None = None) -> datetime:
    if timezone.is_naive(scheduled_at):
        scheduled_at = timezone.make_aware(scheduled_at, timezone.get_current_timezone())
    if scheduled_at < timezone.now() + MIN_DELAY:
        raise ValidationError(
            {"scheduled_at": _("The scheduled time must be at least 5 minutes in the future.")}
        )
    waiting = ScheduledPost.objects.filter(author=author)
    if moving is not None:
        waiting = waiting.exclude(pk=moving)
    if moving is None and waiting.count() >= MAX_SCHEDULED:
        raise ValidationError(
            {
                "scheduled_at": _("You can have at most %(count)d scheduled posts.")
                % {"count": MAX_SCHEDULED}
            }
        )
    day_start = scheduled_at.replace(hour=0, minute=0, second=0, microsecond=0)
    that_day = waiting.filter(
        scheduled_at__gte=day_start, scheduled_at__lt=day_start + timedelta(days=1)
    )
    if that_day.count() >= MAX_PER_DAY:
        raise ValidationError(
            {
                "scheduled_at": _("You can schedule at most %(count)d posts for one day.")
                % {"count": MAX_PER_DAY}
            }
        )
    return scheduled_at


def _target(author: User, post_id: int | None) -> int | None:
    if post_id is None:
        return None
    post = Post.objects.select_related("author", "reblog_of__author").filter(pk=post_id).first()
    if post is not None and post.reblog_of_id is not None:
        post = post.reblog_of
    if post is None or not can_see(author, post):
        raise ValidationError(str(NOT_AVAILABLE))
    return post.pk


def schedule_post(
    author: User,
    *,
    scheduled_at: datetime,
    text: str,
    visibility: int,
    spoiler_text: str = "",
    sensitive: bool = False,
    media_ids: Sequence[int] = (),
    poll: PollSpec | None = None,
    in_reply_to_id: int | None = None,
    quote_id: int | None = None,
    language: str | None = None,
    application_id: int | None = None,
) -> ScheduledPost:
    """Keep a post to publish at `scheduled_at` (at least five minutes ahead), checked now as
    `create_post` would check it; its uploads wait with it."""
    if not author.is_active:
        raise PermissionDenied(_("This account cannot post."))
    text = _clean_text(text, required=not media_ids)
    spoiler = _clean_spoiler(spoiler_text)
    level = _level(visibility)
    if poll is not None:
        if media_ids:
            raise ValidationError({"poll": _("A post can have a poll or media, not both.")})
        poll_actions.ensure_enabled()
        poll_actions.clean_options(poll.options)
        poll_actions.clean_duration(poll.expires_in)
    reply_to = _target(author, in_reply_to_id)
    quoted = _target(author, quote_id)
    ratelimit.POSTS_PER_ACCOUNT.hit(str(author.pk))
    with transaction.atomic():
        # The member's row is the lock: two schedules at once are counted one after the other.
        User.objects.select_for_update().filter(pk=author.pk).exists()
        when = _check_time(author, scheduled_at)
        params: dict[str, Any] = {
            "text": text,
            "visibility": int(level),
            "spoiler_text": spoiler,
            "sensitive": bool(sensitive) or bool(spoiler),
            "media_ids": [str(int(i)) for i in dict.fromkeys(media_ids)],
            "poll": None
            if poll is None
            else {
                "options": list(poll.options),
                "expires_in": poll.expires_in,
                "multiple": poll.multiple,
                "hide_totals": poll.hide_totals,
            },
            "in_reply_to_id": str(reply_to) if reply_to else None,
            "quote_id": str(quoted) if quoted else None,
            "language": language,
            "application_id": str(application_id) if application_id else None,
        }
        scheduled = ScheduledPost.objects.create(author=author, scheduled_at=when, params=params)
        media_actions.reserve_for_scheduled(author, scheduled.pk, [int(i) for i in media_ids])
        _enqueue_publish(scheduled)
    return scheduled


def _enqueue_publish(scheduled: ScheduledPost) -> None:
    from townsquare.posts import tasks

    enqueue(tasks.publish_scheduled_post.using(run_after=scheduled.scheduled_at), scheduled.pk)


def reschedule(author: User, scheduled: ScheduledPost, scheduled_at: datetime) -> ScheduledPost:
    """Move a scheduled post to another time (the job for the old time then does nothing)."""
    if scheduled.author_id != author.pk:
        raise PermissionDenied(_("You can only change your own scheduled posts."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(author.pk))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=author.pk).exists()
        when = _check_time(author, scheduled_at, moving=scheduled.pk)
        ScheduledPost.objects.filter(pk=scheduled.pk).update(scheduled_at=when)
        scheduled.scheduled_at = when
        _enqueue_publish(scheduled)
    return scheduled


def cancel_scheduled(author: User, scheduled: ScheduledPost) -> None:
    """Drop a scheduled post; its uploads go back to being unattached (and are cleared away
    with other abandoned uploads)."""
    if scheduled.author_id != author.pk:
        raise PermissionDenied(_("You can only cancel your own scheduled posts."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(author.pk))
    with transaction.atomic():
        media_actions.release_scheduled(scheduled.pk)
        ScheduledPost.objects.filter(pk=scheduled.pk).delete()


def _still_visible(author: User, post_id: Any) -> Post | None:
    if not post_id:
        return None
    post = Post.objects.select_related("author").filter(pk=int(post_id)).first()
    return post if post is not None and can_see(author, post) else None


def publish_scheduled(scheduled_id: int) -> Post | None:
    """Publish a scheduled post that is due (the job calls this at its time). A post it
    answers or quotes that is gone (or no longer visible) is left out; a post that can no
    longer be published (its author suspended, a bad upload) is dropped. Raises RateLimited
    when the author has posted too much: the job tries again later."""
    now = timezone.now()
    with transaction.atomic():
        scheduled = (
            ScheduledPost.objects.select_for_update()
            .select_related("author")
            .filter(pk=scheduled_id)
            .first()
        )
        if scheduled is None or scheduled.scheduled_at > now:
            return None  # cancelled, published already, or moved later (its own job waits)
        author = scheduled.author
        params = scheduled.params or {}
        poll = params.get("poll")
        media_ids = [int(i) for i in params.get("media_ids") or []]
        media_actions.release_scheduled(scheduled.pk)
        try:
            with transaction.atomic():
                post = create_post(
                    author,
                    text=str(params.get("text") or ""),
                    visibility=int(params.get("visibility") or 0),
                    in_reply_to=_still_visible(author, params.get("in_reply_to_id")),
                    quote_of=_still_visible(author, params.get("quote_id")),
                    spoiler_text=str(params.get("spoiler_text") or ""),
                    sensitive=bool(params.get("sensitive")),
                    media_ids=media_ids,
                    poll=PollSpec(
                        options=list(poll["options"]),
                        multiple=bool(poll.get("multiple")),
                        expires_in=int(poll["expires_in"]),
                        hide_totals=bool(poll.get("hide_totals")),
                    )
                    if poll
                    else None,
                    application_id=int(params["application_id"])
                    if params.get("application_id")
                    else None,
                )
        except (ValidationError, PermissionDenied) as exc:
            logger.warning("scheduled post %s could not be published: %s", scheduled_id, exc)
            post = None
        scheduled.delete()
    return post
