"""Full-text candidates for post search: the only code that knows how each database indexes
post text (see migrations/0001_post_text_index.py).

Both answer the same two questions, newest first, without looking at visibility:
- the newest posts that contain every word;
- the newest posts that contain any of the words (asked only for queries of several words).

Words come from `terms.words_of` (letters and digits only) and are always passed as query
parameters; on SQLite each is quoted as an FTS5 string, so no word can be read as syntax.

PostgreSQL: posts carry a stored tsvector (migrations/0002_postgres_stored_search_vector.py)
with a GIN index; the steps below decide how it is read. The site runs prepared statements
with generic plans (settings.py); these statements run with custom plans, which see the words.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import OperationalError, connection, transaction

FTS_TABLE = "search_post_fts"
logger = logging.getLogger(__name__)


@dataclass
class Candidates:
    every: list[int] = field(default_factory=list)  # posts with every word, newest first
    some: list[int] = field(default_factory=list)  # posts with any word, newest first


def candidates(words: Sequence[str], *, every_limit: int, some_limit: int = 0) -> Candidates:
    """The newest `every_limit` posts containing every word and, for several words, the
    newest `some_limit` containing any (these may include posts of the first list)."""
    if not words:
        return Candidates()
    any_too = len(words) > 1 and some_limit > 0
    if connection.vendor == "postgresql":
        return _postgres(words, every_limit, some_limit if any_too else 0)
    return Candidates(
        _sqlite(words, "AND", every_limit), _sqlite(words, "OR", some_limit) if any_too else []
    )


def _sqlite(words: Sequence[str], operator: str, limit: int) -> list[int]:
    expression = f" {operator} ".join('"' + word.replace('"', '""') + '"' for word in words)
    sql = (
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608 - constant
        " ORDER BY rowid DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, limit])
        return [row[0] for row in cursor.fetchall()]


# PostgreSQL plans are chosen here rather than by the planner, whose estimates for words it has
# no statistics on once sent a no-match query down a walk of the whole table. Posts carry a
# stored `search_vector` (migrations/0002), so checking a post costs no parsing (about 1.5 us).
# 1. Check the newest RECENT_WINDOW posts, by primary key: enough for any word in more than
#    about one post in five.
# 2. From the share of matches found so far, estimate how many more posts must be checked
#    to find the rest; while that fits in SCAN_BUDGET posts in all, check the next, older
#    window of that many posts. This finds frequent words without the GIN index, whose cost
#    grows with how often each word occurs (not with how many matches are wanted).
# 3. Words too rare for that (or not found at all) are read from the GIN index, all matches,
#    newest first. Ordering by `id + 0` keeps the planner off the primary key walk; it may
#    still pick a sequential scan for a word it knows to be very frequent.
# Each statement runs under STATEMENT_TIMEOUT; a step that times out adds nothing.
RECENT_WINDOW = 1000
SCAN_BUDGET = 40_000
STATEMENT_TIMEOUT = "3s"
_NEWEST = 2**63 - 1
_PG_SETTINGS = (
    "SELECT current_setting('plan_cache_mode'), current_setting('statement_timeout'),"
    " set_config('plan_cache_mode', 'force_custom_plan', true),"
    " set_config('statement_timeout', %s, true)"
)
_PG_RESTORE = (
    "SELECT set_config('plan_cache_mode', %s, true), set_config('statement_timeout', %s, true)"
)
# One pass over a window of posts for one or two queries: the window's oldest id, its size,
# and the ids matching each query, newest first.
_PG_WINDOW = (
    "SELECT min(w.id), count(*), {matches} FROM (SELECT id, search_vector FROM posts_post"
    " WHERE id < %s ORDER BY id DESC LIMIT %s) w"
)
_PG_WINDOW_MATCHES = (
    "array_agg(w.id ORDER BY w.id DESC) FILTER (WHERE w.search_vector @@ ({query}))"
)
_PG_INDEXED = (
    "SELECT id FROM posts_post WHERE search_vector @@ ({query}) ORDER BY id + 0 DESC LIMIT %s"
)


@dataclass
class _Wanted:
    """One question for PostgreSQL: the newest `limit` posts matching `query`."""

    query: str  # a tsquery expression with placeholders
    params: list[str]
    limit: int
    found: list[int] = field(default_factory=list)
    complete: bool = False  # `found` is the answer
    scanning: bool = True  # still answered by windows (steps 1 and 2), not the index

    def rows_to_scan(self, scanned: int) -> float:
        """Posts still to check to find the rest at the rate seen so far."""
        if not self.found:
            return float("inf")
        return (self.limit - len(self.found)) * scanned / len(self.found)


def _pg_scan(cursor: Any, wanted: list[_Wanted]) -> None:
    """Steps 1 and 2: windows of the newest posts, going back while it pays."""
    before, scanned, size = _NEWEST, 0, RECENT_WINDOW
    while active := [w for w in wanted if w.scanning]:
        matches = ", ".join(_PG_WINDOW_MATCHES.format(query=w.query) for w in active)
        params = [p for w in active for p in w.params]
        cursor.execute(_PG_WINDOW.format(matches=matches), [*params, before, size])
        oldest, count, *found = cursor.fetchone()
        scanned += count
        more = 0.0
        for item, ids in zip(active, found, strict=True):
            item.found += (ids or [])[: item.limit - len(item.found)]
            item.complete = len(item.found) >= item.limit or count < size  # or no older posts
            rows = item.rows_to_scan(scanned)
            item.scanning = not item.complete and scanned + rows <= SCAN_BUDGET
            if item.scanning:
                more = max(more, rows)
        before = oldest
        size = max(1, min(SCAN_BUDGET - scanned, max(RECENT_WINDOW, int(more * 1.25))))


def _pg_indexed(cursor: Any, item: _Wanted) -> None:
    """Step 3: the newest matches from the GIN index; on a timeout, what the scan found."""
    try:
        with transaction.atomic():
            cursor.execute(_PG_INDEXED.format(query=item.query), [*item.params, item.limit])
            item.found = [row[0] for row in cursor.fetchall()]
    except OperationalError:  # the statement timed out
        logger.warning("post search timed out reading the index")


def _postgres(words: Sequence[str], every_limit: int, some_limit: int) -> Candidates:
    every = _Wanted("plainto_tsquery('simple', %s)", [" ".join(words)], every_limit)
    wanted = [every]
    if some_limit:
        any_query = " || ".join(["plainto_tsquery('simple', %s)"] * len(words))
        wanted.append(_Wanted(any_query, list(words), some_limit))
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_PG_SETTINGS, [STATEMENT_TIMEOUT])
        previous = cursor.fetchone()[:2]
        try:
            with transaction.atomic():
                _pg_scan(cursor, wanted)
        except OperationalError:  # the statement timed out
            logger.warning("post search timed out scanning recent posts")
            for item in wanted:
                item.scanning = False
        for item in wanted:
            if not item.complete:
                _pg_indexed(cursor, item)
        if nested:  # SET LOCAL lasts until the enclosing transaction ends: undo it
            cursor.execute(_PG_RESTORE, list(previous))
    return Candidates(every.found, wanted[1].found if some_limit else [])
