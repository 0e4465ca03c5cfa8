"""Reading polls for post cards: every poll of a page of posts in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core.sql import id_in
from townsquare.polls.models import Poll, PollOption


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
    # Raw SQL for the three reads: the ORM's compiling of a prefetch and an annotation cost
    # more than the queries (cProfile of the API home timeline).
    where, params = id_in("pl.post_id", post_ids)
    polls = list(
        Poll.objects.raw(
            "SELECT pl.*, p.author_id AS author_id FROM polls_poll pl"  # noqa: S608
            f" JOIN posts_post p ON p.id = pl.post_id WHERE {where}",
            params,
        )
    )
    if not polls:
        return {}
    poll_ids = [poll.pk for poll in polls]
    where, params = id_in("poll_id", poll_ids)
    options: dict[int, list[PollOption]] = defaultdict(list)
    for option in PollOption.objects.raw(
        f"SELECT * FROM polls_polloption WHERE {where} ORDER BY poll_id, position",  # noqa: S608
        params,
    ):
        options[option.poll_id].append(option)
    chosen: dict[int, set[int]] = defaultdict(set)
    if member is not None:
        where, params = id_in("v.poll_id", poll_ids)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT v.poll_id, o.position FROM polls_pollvote v"  # noqa: S608
                f" JOIN polls_polloption o ON o.id = v.option_id WHERE {where} AND v.voter_id = %s",
                [*params, member.pk],
            )
            for poll_id, position in cursor.fetchall():
                chosen[poll_id].add(position)
    moment = now or timezone.now()
    return {
        poll.post_id: PollView(
            poll=poll,
            options=options.get(poll.pk, []),
            chosen=frozenset(chosen.get(poll.pk, ())),
            expired=poll.is_expired(moment),
            is_author=member is not None and member.pk == poll.author_id,  # type: ignore[attr-defined]
            signed_in=member is not None,
        )
        for poll in polls
    }


def poll_for(post_id: int, viewer: User | AnonymousUser | None) -> PollView | None:
    """The poll of one post (already known visible to `viewer`), or None."""
    return polls_for([post_id], viewer).get(post_id)
