"""Closing polls: when a poll ends, its voters and its author are told, each once."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from townsquare.core.jobs import INTERACTIVE, enqueue, retried
from townsquare.notifications.actions import notify
from townsquare.notifications.models import Kind
from townsquare.polls.models import Poll, PollVote
from townsquare.posts.models import Post

NOTIFY_BATCH = 500


@task(priority=INTERACTIVE)
@retried()
def close_poll(poll_id: int) -> int:
    """Mark an ended poll closed, tell its author, and start telling its voters in batches.
    Returns how many notifications were made here (0 when already closed or gone)."""
    with transaction.atomic():
        poll = Poll.objects.select_for_update().filter(pk=poll_id).first()
        if poll is None or poll.closed_at is not None:  # deleted with its post, or done
            return 0
        if not poll.is_expired():  # ran early (a clock step): come back when it ends
            enqueue(close_poll.using(run_after=poll.expires_at), poll_id)
            return 0
        author_id = Post.objects.filter(pk=poll.post_id).values_list("author_id", flat=True)[0]
        told = 1 if notify(author_id, Kind.POLL, post_id=poll.post_id) else 0
        poll.closed_at = timezone.now()
        poll.save(update_fields=["closed_at"])
        told += _notify_voters(poll.pk, poll.post_id, author_id, after=0)
    return told


@task(priority=INTERACTIVE)
@retried()
def notify_poll_voters(poll_id: int, after: int) -> int:
    """Tell the next batch of a closed poll's voters (those with an id above `after`)."""
    row = Poll.objects.filter(pk=poll_id).values_list("post_id", "post__author_id").first()
    if row is None:
        return 0
    post_id, author_id = row
    with transaction.atomic():
        return _notify_voters(poll_id, post_id, author_id, after=after)


def _notify_voters(poll_id: int, post_id: int, author_id: int, *, after: int) -> int:
    """Notify up to NOTIFY_BATCH voters after `after` and enqueue the rest. `notify` ignores a
    second poll notification for the same member and post, so a batch run twice is harmless."""
    voter_ids = list(
        PollVote.objects.filter(poll_id=poll_id, voter_id__gt=after)
        .order_by("voter_id")
        .values_list("voter_id", flat=True)
        .distinct()[:NOTIFY_BATCH]
    )
    told = 0
    for voter_id in voter_ids:
        if voter_id != author_id and notify(voter_id, Kind.POLL, post_id=post_id):
            told += 1
    if len(voter_ids) == NOTIFY_BATCH:
        enqueue(notify_poll_voters, poll_id, voter_ids[-1])
    return told
