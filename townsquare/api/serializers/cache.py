"""Per-process caches of the viewer-independent parts of API entities.

A timeline page is mostly the same statuses and accounts, whoever reads it: building their
dictionaries again for each request was most of the API home timeline's cost. Each web
process keeps what it built, keyed by id and checked against a *stamp*: values read with the
page anyway (a post's `edited_at`, `sensitive` and whether it has media; an author's name,
avatar and lock) that change whenever what was cached would. A stale stamp is a miss, so an
edit, a new avatar or a post marked sensitive shows at once in every process, with no
invalidation message between processes.

What a stamp cannot see expires instead: an account's counts, note, fields and header are
kept for `ACCOUNT_TTL` seconds (and forgotten at once in the process that saved the member);
a status's mentions (of a member suspended since) and its app's name for `STATUS_TTL`. A
link card is kept once it is ready, checked against its fetch time (read with the page). What depends on the viewer or changes often (counts of
a post, polls, the viewer's favourited/reblogged/bookmarked marks, the app of the viewer's
own posts, filters) is never cached: it is read with each page and merged into a copy of the
cached part.

Entries are never changed in place: readers copy the top level before adding to it. Each
cache holds at most `limit` entries and drops the oldest first."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Hashable
from typing import Any

from django.core.signals import setting_changed
from django.db.models.signals import post_save
from django.dispatch import receiver

ACCOUNT_TTL = 15.0  # seconds an account entity (its counts above all) may be shown from cache
STATUS_TTL = 600.0  # seconds for what a status's stamp cannot see (mentions, its app's name)


class EntityCache:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: dict[int, tuple[Hashable, float, dict[str, Any]]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: int, stamp: Hashable) -> dict[str, Any] | None:
        found = self._entries.get(key)
        if found is None or found[0] != stamp or found[1] < time.monotonic():
            self.misses += 1
            return None
        self.hits += 1
        return found[2]

    def put(
        self, key: int, stamp: Hashable, value: dict[str, Any], ttl: float | None = None
    ) -> None:
        entries = self._entries
        if len(entries) >= self.limit and key not in entries:
            # The oldest first (dicts keep insertion order); other threads may race.
            with contextlib.suppress(StopIteration, RuntimeError):
                entries.pop(next(iter(entries)), None)
        expires = float("inf") if ttl is None else time.monotonic() + ttl
        entries[key] = (stamp, expires, value)

    def forget(self, key: int) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


statuses = EntityCache(limit=20_000)
accounts = EntityCache(limit=20_000)


@receiver(setting_changed)
def _forget_all(**kwargs: object) -> None:  # URLs in the entities follow BASE_URL (tests)
    statuses.clear()
    accounts.clear()


@receiver(post_save, sender="accounts.User")
def _forget_account(instance: Any, **kwargs: object) -> None:
    accounts.forget(instance.pk)
