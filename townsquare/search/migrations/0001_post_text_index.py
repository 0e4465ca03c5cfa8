"""The full-text index over post text; its shape differs by database.

SQLite: an FTS5 table over posts_post.text (external content: it stores only the index), kept
current by triggers on posts_post, so every write path updates it without application code.
Only changes to `text` re-index a row (count updates do not touch the index).
PostgreSQL: a GIN index on to_tsvector('simple', text): language-neutral (no stemming, no stop
words), so posts in any language are found by their words.

Both forward and reverse steps are idempotent, so the migration can run twice.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_post_fts USING fts5("
    "text, content='posts_post', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS search_post_fts_insert AFTER INSERT ON posts_post BEGIN"
    " INSERT INTO search_post_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS search_post_fts_delete AFTER DELETE ON posts_post BEGIN"
    " INSERT INTO search_post_fts(search_post_fts, rowid, text)"
    " VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS search_post_fts_update AFTER UPDATE OF text ON posts_post"
    " BEGIN"
    " INSERT INTO search_post_fts(search_post_fts, rowid, text)"
    " VALUES ('delete', old.id, old.text);"
    " INSERT INTO search_post_fts(rowid, text) VALUES (new.id, new.text); END",
    # Index the posts written before this migration (and repair any drift).
    "INSERT INTO search_post_fts(search_post_fts) VALUES ('rebuild')",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS search_post_fts_insert",
    "DROP TRIGGER IF EXISTS search_post_fts_delete",
    "DROP TRIGGER IF EXISTS search_post_fts_update",
    "DROP TABLE IF EXISTS search_post_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS search_post_text_idx ON posts_post"
    " USING gin (to_tsvector('simple', text))",
    # Statistics on the indexed expression, for the planner (autovacuum would take a while).
    "ANALYZE posts_post",
]
POSTGRES_REVERSE = ["DROP INDEX IF EXISTS search_post_text_idx"]


def _run(schema_editor: BaseDatabaseSchemaEditor, by_vendor: dict[str, list[str]]) -> None:
    statements = by_vendor.get(schema_editor.connection.vendor, [])
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD})


def reverse(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("posts", "0002_replies_shares_likes_bookmarks_pins_edits")]

    operations = [migrations.RunPython(forward, reverse, elidable=False)]
