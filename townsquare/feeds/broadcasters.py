"""Broadcasters: accounts whose posts are merged into home feeds when read, not fanned out.

Writing a post into 100,000 home feeds costs 100,000 rows for one post, most of them never
read. An account with TOWNSQUARE_BROADCAST_FOLLOWERS followers or more (25,000) is therefore
a broadcaster (`User.broadcast`): its posts go only to the members it mentions and those who
follow a hashtag, and each follower's home feed reads them from the posts table (a few
indexed queries, whatever the number of followers).

The fan-out job decides, once per post, with the follower count it reads anyway: an account
becomes a broadcaster when it reaches the threshold, and stops when its followers drop below
nine tenths of it (a margin, so an account near the line does not flip on every follow). On
stopping, its recent posts are fanned out again, so they stay in its followers' feeds.

Streaming: a broadcaster's post is published once on the bus key `followers:<author>:...`
(see `followers_key`), and each streaming process hands it to those of its connected members
who follow the author (`receivers`), instead of one key per follower.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from townsquare.accounts.models import User
from townsquare.core.sql import id_in
from townsquare.realtime import bus

CACHE_KEY = "feeds:broadcasters"
CACHE_SECONDS = 60
LOCAL_SECONDS = 5.0
_local: list[Any] = [0.0, frozenset()]  # [expires (monotonic), the ids]
RESUME_POSTS = 40  # an account that stops broadcasting: its posts fanned out again
KEY_PREFIX = bus.FOLLOWERS_PREFIX


def threshold() -> int:
    return int(settings.TOWNSQUARE["BROADCAST_FOLLOWERS"])


def broadcasting() -> frozenset[int]:
    """The ids of every broadcaster on the site (few). Kept in the shared cache for a minute
    and dropped there on change, and in each process for LOCAL_SECONDS (every home feed read
    asks: a Redis round trip each time would cost more than the rest of the check)."""
    expires, known = _local
    now = time.monotonic()
    if now < expires:
        return known
    found = cache.get(CACHE_KEY)
    if found is None:
        found = list(User.objects.filter(broadcast=True).values_list("pk", flat=True))
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    known = frozenset(found)
    _local[:] = [now + LOCAL_SECONDS, known]
    return known


def followed_by(viewer_id: int) -> tuple[list[int], list[int]]:
    """The broadcasters `viewer_id` follows, and among them those whose shares they see."""
    candidates = broadcasting()
    if not candidates:
        return [], []
    where, params = id_in("followee_id", sorted(candidates))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT followee_id, show_reblogs FROM graph_follow"  # noqa: S608
            f" WHERE follower_id = %s AND {where}",
            [viewer_id, *params],
        )
        rows = cursor.fetchall()
    return [row[0] for row in rows], [row[0] for row in rows if row[1]]


def forget() -> None:
    """Drop the cached list now (for this transaction's own reads) and again once the change
    commits (a process that read the list meanwhile cached the old one)."""
    forget_local()
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))
    transaction.on_commit(forget_local)


def forget_local() -> None:
    """Read the list afresh on the next call in this process."""
    _local[:] = [0.0, frozenset()]


# --- streaming -------------------------------------------------------------------------------


def followers_key(author_id: int, *, share: bool, reply_to: int | None) -> str:
    """The bus key of a broadcaster's post: its author, whether it is a share (followers who
    turned the author's shares off skip it) and whom it answers (a reply to someone else
    reaches only those who follow that person too)."""
    return f"{KEY_PREFIX}{author_id}:{int(share)}:{reply_to or 0}"


def receivers(key: str, candidates: Iterable[int]) -> list[int]:
    """Which of `candidates` (members connected to a streaming process) get a post published
    on `key` in their home stream: its author's followers, with the rules of the fan-out."""
    from townsquare.lists.queries import owners_excluding

    author, share, reply_to = (int(part) for part in key.removeprefix(KEY_PREFIX).split(":"))
    members = sorted(set(candidates))
    if not members:
        return []
    where, params = id_in("f.follower_id", members)
    sql = f"SELECT f.follower_id FROM graph_follow f WHERE f.followee_id = %s AND {where}"  # noqa: S608
    args: list[int] = [author, *params]
    if share:
        sql += " AND f.show_reblogs"
    if reply_to and reply_to != author:
        sql += (
            " AND (f.follower_id = %s OR EXISTS (SELECT 1 FROM graph_follow f2"
            " WHERE f2.follower_id = f.follower_id AND f2.followee_id = %s))"
        )
        args += [reply_to, reply_to]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        found = [row[0] for row in cursor.fetchall()]
    excluded = owners_excluding(author, found)  # exclusive lists: not in their home
    return [member for member in found if member not in excluded]
