"""Experiment for thread_bench.py --patch: the viewer's marks query with one array parameter
on PostgreSQL.

`posts.display._viewer_marks` writes one `%s` per post id, three times (likes, shares,
bookmarks), plus the answered authors twice: on a thread page of 133 posts that is over 400
parameters. psycopg caches its parsing of a statement only up to 50 parameters
(`MAX_CACHED_STATEMENT_PARAMS`), so it splits the 1.8 KB statement again on every page
(1.8 ms measured alone). With `= ANY(%s)` and the ids as one list (sent as an array) the
statement has 5-8 parameters and a constant text. SQLite keeps the original function.
Measuring only; not a proposed implementation.
"""

from __future__ import annotations

from typing import Any

_MARKS = (
    "SELECT 1, post_id FROM posts_like WHERE user_id = %s AND post_id = ANY(%s)",
    "SELECT 2, reblog_of_id FROM posts_post WHERE author_id = %s AND reblog_of_id = ANY(%s)",
    "SELECT 3, post_id FROM posts_bookmark WHERE user_id = %s AND post_id = ANY(%s)",
)
_BLOCKS = (
    "SELECT 4, blocker_id FROM graph_block WHERE blocked_id = %s AND blocker_id = ANY(%s)",
    "SELECT 4, blocked_id FROM graph_block WHERE blocker_id = %s AND blocked_id = ANY(%s)",
)


def apply() -> None:
    from django.db import connection

    from townsquare.posts import display

    if connection.vendor != "postgresql":
        return
    original = display._viewer_marks

    def _viewer_marks(member: Any, post_ids: list[int], answered: list[int]) -> Any:
        found: tuple[set[int], ...] = (set(), set(), set(), set())
        if member is None or not post_ids:
            return original(member, post_ids, answered)
        parts = list(_MARKS)
        params: list[Any] = [member.pk, list(post_ids)] * 3
        if answered:
            parts += _BLOCKS
            params += [member.pk, list(answered)] * 2
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for kind, row_id in cursor.fetchall():
                found[kind - 1].add(row_id)
        return found

    display._viewer_marks = _viewer_marks  # type: ignore[assignment]
