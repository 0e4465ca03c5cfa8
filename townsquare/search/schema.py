"""Keeps the SQLite full-text index maintained after other apps' migrations.

When Django alters posts_post on SQLite it rebuilds the table (create, copy, drop, rename),
and dropping a table drops its triggers: the index would silently stop following new posts.
After every `migrate`, missing triggers are created again and the index rebuilt from the
posts. The statements are those of migrations/0001_post_text_index.py (migrations do not
import application code, so they are written out in both places; keep them in step).
"""

from __future__ import annotations

from typing import Any

from django.db import connections

TRIGGERS = {
    "search_post_fts_insert": (
        "CREATE TRIGGER IF NOT EXISTS search_post_fts_insert AFTER INSERT ON posts_post BEGIN"
        " INSERT INTO search_post_fts(rowid, text) VALUES (new.id, new.text); END"
    ),
    "search_post_fts_delete": (
        "CREATE TRIGGER IF NOT EXISTS search_post_fts_delete AFTER DELETE ON posts_post BEGIN"
        " INSERT INTO search_post_fts(search_post_fts, rowid, text)"
        " VALUES ('delete', old.id, old.text); END"
    ),
    "search_post_fts_update": (
        "CREATE TRIGGER IF NOT EXISTS search_post_fts_update AFTER UPDATE OF text ON posts_post"
        " BEGIN"
        " INSERT INTO search_post_fts(search_post_fts, rowid, text)"
        " VALUES ('delete', old.id, old.text);"
        " INSERT INTO search_post_fts(rowid, text) VALUES (new.id, new.text); END"
    ),
}
REBUILD = "INSERT INTO search_post_fts(search_post_fts) VALUES ('rebuild')"


def repair_sqlite_index(using: str = "default", **kwargs: Any) -> bool:
    """Recreate missing triggers and rebuild the index; True when something was repaired.
    Does nothing on PostgreSQL (its index lives with the table) or before the index exists."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name = 'search_post_fts'"
            " OR (type = 'trigger' AND tbl_name = 'posts_post')"
        )
        names = {row[0] for row in cursor.fetchall()}
        if "search_post_fts" not in names or set(TRIGGERS) <= names:
            return False
        for statement in TRIGGERS.values():
            cursor.execute(statement)
        cursor.execute(REBUILD)
    return True
