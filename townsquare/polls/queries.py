"""Reading polls for post cards: every poll of a page of posts in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Prefetch
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.polls.models import Poll, PollOption, PollVote


@dataclass(slots=True)
class PollView:
    """A poll as one viewer sees it."""

    poll: Poll
    options: list[PollOption]
    chosen: frozenset[int] = field(default_factory=frozenset)  # the viewer's option positions
    expired: bool = False
    is_author: bool = False
    signed_in: bool = False

    @property
    def voted(self) -> bool:
        return bool(self.chosen)

    @property
    def can_vote(self) -> bool:
        return self.signed_in and not self.is_author and not self.voted and not self.expired

    @property
    def show_results(self) -> bool:
        return self.voted or self.expired or self.is_author

    @property
    def post_id(self) -> int:
        return self.poll.post_id


def polls_for(
    post_ids: list[int], viewer: User | AnonymousUser | None, *, now: datetime | None = None
) -> dict[int, PollView]:
    """The polls of `post_ids` (posts the caller has already checked `viewer` may see), by
    post id. Three queries at most: polls, their options, the viewer's votes."""
    if not post_ids:
        return {}
    member = viewer if isinstance(viewer, User) and viewer.is_authenticated else None
    options = Prefetch("options", queryset=PollOption.objects.order_by("position"))
    polls = list(
        Poll.objects.filter(post_id__in=post_ids)
        .annotate(author_id=F("post__author_id"))
        .prefetch_related(options)
    )
    if not polls:
        return {}
    chosen: dict[int, set[int]] = defaultdict(set)
    if member is not None:
        votes = PollVote.objects.filter(
            poll_id__in=[poll.pk for poll in polls], voter_id=member.pk
        ).values_list("poll_id", "option__position")
        for poll_id, position in votes:
            chosen[poll_id].add(position)
    moment = now or timezone.now()
    return {
        poll.post_id: PollView(
            poll=poll,
            options=list(poll.options.all()),
            chosen=frozenset(chosen.get(poll.pk, ())),
            expired=poll.is_expired(moment),
            is_author=member is not None and member.pk == poll.author_id,
            signed_in=member is not None,
        )
        for poll in polls
    }


def poll_for(post_id: int, viewer: User | AnonymousUser | None) -> PollView | None:
    """The poll of one post (already known visible to `viewer`), or None."""
    return polls_for([post_id], viewer).get(post_id)
