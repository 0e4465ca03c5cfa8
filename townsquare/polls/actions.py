"""The write layer for polls: attaching a poll to a new post, and voting."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.accounts.models import User
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.polls import tasks
from townsquare.polls.models import (
    MAX_DURATION,
    MAX_OPTIONS,
    MAX_TITLE_LENGTH,
    MIN_DURATION,
    MIN_OPTIONS,
    Poll,
    PollOption,
    PollVote,
)
from townsquare.posts.models import Post
from townsquare.posts.queries import get_visible
from townsquare.site import features

ALREADY_VOTED = gettext_lazy("You have already voted in this poll.")
ENDED = gettext_lazy("This poll has ended.")


def _invalid(message: str | Promise) -> ValidationError:
    return ValidationError({"poll": str(message)})


def ensure_enabled() -> None:
    """Refuse a new poll while the operator has polls switched off (polls already posted
    stay, with their results, and take no votes)."""
    if not features.enabled("polls"):
        raise _invalid(_("Polls are switched off on this site."))


def clean_options(options: list[str]) -> list[str]:
    """The option titles, trimmed, or a ValidationError saying what is wrong with them."""
    if not isinstance(options, list | tuple) or not all(isinstance(o, str) for o in options):
        raise _invalid(_("Poll options must be text."))
    titles = [" ".join(option.split()) for option in options]
    if not MIN_OPTIONS <= len(titles) <= MAX_OPTIONS:
        raise _invalid(
            _("A poll needs %(least)d to %(most)d options (%(count)d given).")
            % {"least": MIN_OPTIONS, "most": MAX_OPTIONS, "count": len(titles)}
        )
    if any(not title for title in titles):
        raise _invalid(_("Poll options cannot be empty."))
    too_long = [title for title in titles if len(title) > MAX_TITLE_LENGTH]
    if too_long:
        raise _invalid(
            _("Poll options are at most %(most)d characters (“%(start)s…” has %(count)d).")
            % {"most": MAX_TITLE_LENGTH, "start": too_long[0][:20], "count": len(too_long[0])}
        )
    if len({title.casefold() for title in titles}) != len(titles):
        raise _invalid(_("Poll options must all be different."))
    return titles


def clean_duration(expires_in: int) -> int:
    """The poll's length in seconds: from 5 minutes to 7 days."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise _invalid(_("Choose how long the poll stays open."))
    if not MIN_DURATION <= expires_in <= MAX_DURATION:
        raise _invalid(_("A poll can stay open from 5 minutes to 7 days."))
    return expires_in


def create_poll(
    post: Post,
    *,
    options: list[str],
    multiple: bool = False,
    expires_in: int,
    hide_totals: bool = False,
) -> Poll:
    """Attach a poll to `post` (called by `posts.actions.create_post` inside its transaction)
    and schedule the job that closes it and tells its voters. Raises ValidationError
    ({"poll": message}) for bad options or length, or while polls are switched off, writing
    nothing."""
    ensure_enabled()
    titles = clean_options(options)
    seconds = clean_duration(expires_in)
    if Poll.objects.filter(post_id=post.pk).exists():
        raise _invalid(_("This post already has a poll."))
    expires_at = timezone.now() + timedelta(seconds=seconds)
    with transaction.atomic():
        poll = Poll.objects.create(
            post=post, expires_at=expires_at, multiple=bool(multiple), hide_totals=hide_totals
        )
        PollOption.objects.bulk_create(
            [PollOption(poll=poll, position=i, title=title) for i, title in enumerate(titles)]
        )
        enqueue(tasks.close_poll.using(run_after=expires_at), poll.pk)
    return poll


def update_poll(post: Post, *, expires_in: int, hide_totals: bool) -> None:
    """Change how long an open poll of `post` runs (from now) and whether its counts are
    hidden, keeping its votes (called by `posts.actions.edit_post` inside its transaction,
    when the options stay the same). An ended poll stays ended."""
    seconds = clean_duration(expires_in)
    poll = (
        Poll.objects.select_for_update()
        .filter(post_id=post.pk, closed_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if poll is None:
        return
    poll.expires_at = timezone.now() + timedelta(seconds=seconds)
    poll.hide_totals = hide_totals
    poll.save(update_fields=["expires_at", "hide_totals"])
    # The job queued for the old end comes back later by itself if it runs early.
    enqueue(tasks.close_poll.using(run_after=poll.expires_at), poll.pk)


def _clean_choices(poll: Poll, choices: list[int], option_count: int) -> list[int]:
    try:
        chosen = sorted({int(choice) for choice in choices})
    except (TypeError, ValueError):
        raise _invalid(_("Choose one of the poll's options.")) from None
    if not chosen:
        raise _invalid(_("Choose an option before voting."))
    if not poll.multiple and len(chosen) > 1:
        raise _invalid(_("This poll takes one choice only."))
    if chosen[0] < 0 or chosen[-1] >= option_count:
        raise _invalid(_("That is not one of the poll's options."))
    return chosen


def vote(voter: User, poll_id: int, choices: list[int]) -> Poll:
    """Cast `voter`'s vote: `choices` are option positions (from 0); exactly one unless the
    poll is multiple choice. A member votes once, before the poll ends, and not in their own
    poll (its author sees the results throughout).

    Raises Http404 when the poll does not exist or `voter` cannot see its post (as if it did not
    exist), ValidationError ({"poll": message}) for a vote that cannot count, and RateLimited.
    """
    poll = Poll.objects.filter(pk=poll_id).first()
    if poll is None or not voter.is_active:
        raise Http404("No such poll.")
    post = get_visible(voter, poll.post_id)
    if post is None:
        raise Http404("No such poll.")
    if not features.enabled("polls"):
        raise _invalid(_("Polls are switched off on this site: their results stay visible."))
    if post.author_id == voter.pk:
        raise _invalid(_("You cannot vote in your own poll; its results are yours to see."))
    if poll.is_expired():
        raise _invalid(ENDED)
    option_count = PollOption.objects.filter(poll_id=poll.pk).count()
    chosen = _clean_choices(poll, choices, option_count)
    ratelimit.WRITES_PER_ACCOUNT.hit(str(voter.pk))
    try:
        with transaction.atomic():
            # Lock the poll row: two votes by the same member at once wait for each other, so
            # the second sees the first and is refused (PostgreSQL; SQLite writes one at a time).
            locked = Poll.objects.select_for_update().get(pk=poll.pk)
            if locked.is_expired():
                raise _invalid(ENDED)
            if PollVote.objects.filter(poll_id=poll.pk, voter_id=voter.pk).exists():
                raise _invalid(ALREADY_VOTED)
            options = list(PollOption.objects.filter(poll_id=poll.pk, position__in=chosen))
            PollVote.objects.bulk_create(
                [PollVote(poll_id=poll.pk, option=option, voter=voter) for option in options]
            )
            PollOption.objects.filter(pk__in=[option.pk for option in options]).update(
                votes_count=F("votes_count") + 1
            )
            Poll.objects.filter(pk=poll.pk).update(
                votes_count=F("votes_count") + len(options), voters_count=F("voters_count") + 1
            )
    except IntegrityError:  # the same vote written at the same moment by another request
        raise _invalid(ALREADY_VOTED) from None
    poll.refresh_from_db()
    return poll


def remove_poll(post: Post) -> bool:
    """Take a post's poll away, votes and all (an edit that drops or rewrites it). Its closing
    job finds it gone and does nothing. Returns whether there was one."""
    deleted, _ = Poll.objects.filter(post_id=post.pk).delete()
    return bool(deleted)
