"""Reading polls for post cards: every poll of a page of posts in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core.sql import id_in


@dataclass(frozen=True, slots=True)
class ListedOption:
    """A poll option as shown (a model instance cost ten times as much to build)."""

    position: int
    title: str
    votes_count: int


@dataclass(frozen=True, slots=True)
class ListedPoll:
    """A poll's own columns as shown (a model instance cost several times as much to build)."""

    id: int
    post_id: int
    expires_at: datetime
    multiple: bool
    votes_count: int
    voters_count: int
    hide_totals: bool = False

    @property
    def pk(self) -> int:
        return self.id

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())


@dataclass(slots=True)
class PollView:
    """A poll as one viewer sees it."""

    poll: ListedPoll
    options: list[ListedOption]
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
        """Counts are shown once voted or ended, to the author always; a poll that hides its
        totals shows them only once ended (and to its author)."""
        if self.poll.hide_totals:
            return self.expired or self.is_author
        return self.voted or self.expired or self.is_author

    @property
    def post_id(self) -> int:
        return self.poll.post_id


def _moment(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite through a plain cursor
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def polls_for(
    post_ids: list[int], viewer: User | AnonymousUser | None, *, now: datetime | None = None
) -> dict[int, PollView]:
    """The polls of `post_ids` (posts the caller has already checked `viewer` may see), by
    post id. One query: each poll's row with each of its options and whether the viewer
    chose it (plain SQL: a queryset's set-up cost more than the query, see core.rows)."""
    if not post_ids:
        return {}
    member = viewer if isinstance(viewer, User) and viewer.is_authenticated else None
    where, params = id_in("pl.post_id", post_ids)
    sql = (
        "SELECT pl.id, pl.post_id, pl.expires_at, pl.multiple, pl.votes_count,"  # noqa: S608
        " pl.voters_count, pl.hide_totals, p.author_id, o.position, o.title, o.votes_count,"
        " EXISTS (SELECT 1 FROM polls_pollvote v WHERE v.voter_id = %s AND v.poll_id = pl.id"
        " AND v.option_id = o.id)"
        " FROM polls_poll pl JOIN posts_post p ON p.id = pl.post_id"
        f" JOIN polls_polloption o ON o.poll_id = pl.id WHERE {where}"
        " ORDER BY pl.id, o.position"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [member.pk if member is not None else 0, *params])
        rows = cursor.fetchall()
    polls: dict[int, tuple[ListedPoll, int]] = {}
    options: dict[int, list[ListedOption]] = defaultdict(list)
    chosen: dict[int, set[int]] = defaultdict(set)
    for poll_id, post_id, expires, multiple, votes, voters, hide, author_id, *option in rows:
        if poll_id not in polls:
            poll = ListedPoll(
                poll_id, post_id, _moment(expires), bool(multiple), votes, voters, bool(hide)
            )
            polls[poll_id] = (poll, author_id)
        position, title, votes_count, mine = option
        options[poll_id].append(ListedOption(position, title, votes_count))
        if mine:
            chosen[poll_id].add(position)
    moment = now or timezone.now()
    return {
        poll.post_id: PollView(
            poll=poll,
            options=options[poll.pk],
            chosen=frozenset(chosen.get(poll.pk, ())),
            expired=poll.is_expired(moment),
            is_author=member is not None and member.pk == author_id,
            signed_in=member is not None,
        )
        for poll, author_id in polls.values()
    }


def poll_for(post_id: int, viewer: User | AnonymousUser | None) -> PollView | None:
    """The poll of one post (already known visible to `viewer`), or None."""
    return polls_for([post_id], viewer).get(post_id)
