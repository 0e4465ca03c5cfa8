"""PostgreSQL only: a stored `search_vector` column on posts_post with its GIN index, in place
of the GIN index on the expression to_tsvector('simple', text) (0001).

With the expression index, every post a search looks at had its text parsed again; the stored
column is parsed once, when the post is written (PostgreSQL computes it on INSERT, COPY and
UPDATE of `text`, so no application code writes it). Django's Post model does not know the
column: it is never selected or written by the ORM, and makemigrations sees nothing.

Operator note: adding a stored generated column rewrites posts_post under an exclusive lock
(posts can be neither read nor written meanwhile): about a minute per million posts here.
SQLite: nothing (its FTS5 index from 0001 stays). Both directions are idempotent.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

FORWARD = [
    "ALTER TABLE posts_post ADD COLUMN IF NOT EXISTS search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', coalesce(text, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS search_post_vector_idx ON posts_post USING gin (search_vector)",
    "DROP INDEX IF EXISTS search_post_text_idx",
    # Word statistics on the new column, for the planner (autovacuum would take a while).
    "ANALYZE posts_post",
]
REVERSE = [
    "CREATE INDEX IF NOT EXISTS search_post_text_idx ON posts_post"
    " USING gin (to_tsvector('simple', text))",
    "DROP INDEX IF EXISTS search_post_vector_idx",
    "ALTER TABLE posts_post DROP COLUMN IF EXISTS search_vector",
    "ANALYZE posts_post",
]


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, FORWARD)


def reverse(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, REVERSE)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_post_text_index")]

    operations = [migrations.RunPython(forward, reverse, elidable=False)]
