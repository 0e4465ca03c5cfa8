"""Experiment for thread_bench.py --patch: the menu's unread-notifications badge without
building its ORM query on every page.

`notifications.queries.unread_count` (called from `web.context.site` on every signed-in
page) builds a queryset with the visibility rule, blocks and mutes as subqueries; on the
thread bench Django spends 8-16 ms compiling it while SQLite runs it in 0.05 ms. This
prototype compiles it once per member and process and afterwards runs the SQL with the
current time as the mute-expiry parameter: the saving is what hand-written SQL (as
`posts.queries.list_posts` does) would give. Measuring only; not a proposed implementation. Superseded: since 14:00 on 2026-11-29
`unread_count` is one hand-written statement (0.1-0.5 ms); this module is kept for the record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

_compiled: dict[int, tuple[str, list[Any]]] = {}


def apply() -> None:
    from django.db import connection
    from django.utils import timezone

    from townsquare.accounts.models import User
    from townsquare.notifications.queries import shown
    from townsquare.web import context

    def unread_count(member: User) -> int:
        hit = _compiled.get(member.pk)
        if hit is None:
            query = shown(member).filter(read=False).query
            compiler = query.chain().get_compiler(connection.alias)
            inner, params = compiler.as_sql()
            hit = (f"SELECT COUNT(*) FROM ({inner}) counted", list(params))
            _compiled[member.pk] = hit
        sql, params = hit
        now = timezone.now()
        params = [now if isinstance(p, dt.datetime) else p for p in params]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    context.unread_count = unread_count  # type: ignore[attr-defined]
