"""The database as one file: SQLite's online backup API or pg_dump; running the PostgreSQL
client tools (pg_dump, and pg_restore when a restore places the database)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection

from townsquare.site.backup.archive import POSTGRES_MEMBER, SQLITE_MEMBER, Snapshot
from townsquare.site.backup.errors import BackupError


def snapshot_database(work: Path) -> Snapshot:
    if connection.vendor == "sqlite":
        return _snapshot_sqlite(work)
    if connection.vendor == "postgresql":
        return _snapshot_postgresql(work)
    raise BackupError(f"cannot back up a {connection.vendor} database")


def _snapshot_sqlite(work: Path) -> Snapshot:
    """Copy the database in a single step of the online backup API: one read transaction, so
    one consistent state. (A copy in several steps starts over whenever the site writes.)"""
    source_path = Path(connection.settings_dict["NAME"])
    target = work / SQLITE_MEMBER
    if not source_path.is_file():
        raise BackupError(f"there is no site to back up: {source_path} does not exist")
    try:
        with (
            contextlib.closing(sqlite3.connect(source_path, timeout=20)) as source,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
            rows = copy.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
    except sqlite3.DatabaseError as exc:
        if "no such table" in str(exc):
            raise BackupError(f"there is no site to back up in {source_path} yet") from None
        raise BackupError(f"cannot copy the database {source_path} ({exc})") from None
    return Snapshot(SQLITE_MEMBER, target, [(app, name) for app, name in rows])


def _snapshot_postgresql(work: Path) -> Snapshot:
    """pg_dump of the configured database, with the site's own credentials."""
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        raise BackupError("there is no site to back up in the configured database yet")
    migrations = list(recorder.migration_qs.order_by("id").values_list("app", "name"))
    target = work / POSTGRES_MEMBER
    postgres_tool("pg_dump", "--format=custom", f"--file={target}")
    return Snapshot(POSTGRES_MEMBER, target, migrations)


def postgres_tool(tool: str, *args: str) -> None:
    """Run pg_dump or pg_restore against the configured database. The password goes in the
    environment, never on the command line (where other users could read it)."""
    from psycopg.conninfo import make_conninfo

    db = connection.settings_dict
    conninfo = make_conninfo(
        dbname=db["NAME"], host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None
    )
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} was not found: install the PostgreSQL client tools")
    done = subprocess.run(  # noqa: S603  # our own arguments, no shell
        [executable, "--no-password", f"--dbname={conninfo}", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(f"{tool} failed: {lines[0] if lines else f'exit {done.returncode}'}")


def is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def counts() -> tuple[int, int]:
    from townsquare.accounts.models import User
    from townsquare.posts.models import Post

    return User.objects.filter(is_page=False).count(), Post.objects.count()
