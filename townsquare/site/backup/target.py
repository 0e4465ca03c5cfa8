"""The site a restore goes into: the checks that it can take the backup and is empty, and
moving the unpacked media, database and secret key into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection, connections
from django.db.utils import Error as DatabaseError

from townsquare.site.backup.archive import Manifest
from townsquare.site.backup.databases import is_sqlite, postgres_tool
from townsquare.site.backup.errors import BackupError

VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# Filled by `migrate` itself, so a migrated site without members or posts still counts as empty.
BOOKKEEPING_TABLES = {"django_content_type", "auth_permission"}


# --- checks before a restore ---------------------------------------------------------------


def check_vendor(manifest: Manifest) -> None:
    if manifest.vendor == connection.vendor:
        return
    held = VENDOR_NAMES[manifest.vendor]
    configured = VENDOR_NAMES.get(connection.vendor, connection.vendor)
    if manifest.vendor == "postgresql":
        how = "set TOWNSQUARE_DATABASE_URL=postgres://user:password@host:5432/name (an empty database)"
    else:
        how = "unset TOWNSQUARE_DATABASE_URL (or set it to sqlite:////path/to/new.sqlite3)"
    raise BackupError(
        f"this backup holds a {held} database but the site is configured for {configured}: "
        f"{how} to restore it"
    )


def _known_migrations() -> set[tuple[str, str]]:
    """Every migration this code has, including those its squashed migrations replace."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)
    return known


def check_migrations(manifest: Manifest) -> None:
    """A backup of newer code cannot be restored by older code (migrations only go forward)."""
    unknown = [pair for pair in manifest.migrations if pair not in _known_migrations()]
    if unknown:
        app, name = unknown[0]
        raise BackupError(
            f"this backup was made by a newer Townsquare ({manifest.townsquare_version}; "
            f"migration {app}.{name} is unknown here): upgrade Townsquare, then restore"
        )


def _content_tables() -> set[str]:
    from django.apps import apps

    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    return tables - BOOKKEEPING_TABLES


def check_empty_target() -> None:
    """The target holds no site: restoring never mixes two sites or replaces one."""
    if connection.vendor == "sqlite":
        _check_empty_sqlite(Path(connection.settings_dict["NAME"]))
    else:
        _check_empty_postgresql()
    media_root = Path(settings.MEDIA_ROOT)
    if any(path.is_file() or path.is_symlink() for path in media_root.rglob("*")):
        raise BackupError(
            f"the media folder {media_root} is not empty: restore into a new data dir "
            "(point TOWNSQUARE_DATA_DIR at an empty folder)"
        )


def _has_rows(db: sqlite3.Connection, present: set[str], table: str, where: str = "1=1") -> bool:
    if table not in present:
        return False
    return db.execute(f'SELECT 1 FROM "{table}" WHERE {where} LIMIT 1').fetchone() is not None  # noqa: S608


def _check_empty_sqlite(database: Path) -> None:
    """Looks inside an existing database file without Django (whose connection would create
    one): a file that `migrate` made but nobody used counts as empty, and is replaced."""
    if not database.exists():
        return
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=20)) as db:
            present = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            # Migrations load some defaults, and `serve` on a new site writes the setup link's
            # hash (and its audit entry): a site whose setup was never finished, with no
            # account yet, holds nothing of anyone's.
            unused = not _has_rows(db, present, "accounts_user") and not _has_rows(
                db, present, "site_sitesettings", "setup_done_at IS NOT NULL"
            )
            for table in [] if unused else sorted(_content_tables() & present):
                if db.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():  # noqa: S608
                    raise BackupError(
                        f"the site in {database} is not empty (table {table} has rows): "
                        "restore into a new site (a new TOWNSQUARE_DATA_DIR, and "
                        "TOWNSQUARE_DATABASE_URL if it is set)"
                    )
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot read the database {database} ({exc})") from None
    _check_not_in_use(database)


def _check_not_in_use(database: Path) -> None:
    """The last connection to close removes a WAL database's -wal file: one still there
    means a server or worker has the database open."""
    if Path(f"{database}-wal").exists():
        raise BackupError(
            f"the database {database} is in use: stop `townsquare serve` and workers first"
        )


def _check_empty_postgresql() -> None:
    name = connection.settings_dict["NAME"]
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_schema NOT IN ('pg_catalog', 'information_schema') LIMIT 1"
            )
            row = cursor.fetchone()
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError(f"TOWNSQUARE_DATABASE_URL: cannot use the database ({first})") from None
    finally:
        connections.close_all()
    if row:
        raise BackupError(
            f"the database {name} is not empty (it has table {row[0]}.{row[1]}): restore needs "
            f"an empty database (createdb a new one and point TOWNSQUARE_DATABASE_URL at it)"
        )


# --- placing the restored site -------------------------------------------------------------


def place_media(unpacked: Path) -> list[Path]:
    """Move the unpacked media into MEDIA_ROOT (checked to hold no file, so only empty
    folders are removed first); returns what was moved, for a rollback. With S3-compatible
    storage, media an archive holds (from a site that kept them locally) are uploaded to the
    bucket instead; the paths returned are then the objects' names."""
    if settings.CONFIG.s3:
        return _upload_media(unpacked)
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    for folder in sorted(media_root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        folder.rmdir()
    placed: list[Path] = []
    try:
        for child in sorted(unpacked.iterdir()):
            target = media_root / child.name
            shutil.move(child, target)
            placed.append(target)
    except BaseException:
        remove(placed)
        raise
    return placed


def _upload_media(unpacked: Path) -> list[Path]:
    from townsquare.media import storage

    placed: list[Path] = []
    try:
        for path in sorted(p for p in unpacked.rglob("*") if p.is_file()):
            name = path.relative_to(unpacked).as_posix()
            with path.open("rb") as handle:
                storage.put(name, File(handle))
            placed.append(Path(name))
    except BaseException:
        remove(placed)
        raise
    return placed


def remove(paths: list[Path]) -> None:
    if settings.CONFIG.s3:
        from townsquare.media import storage

        storage.remove(path.as_posix() for path in paths)
        return
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def place_database(unpacked: Path) -> None:
    try:
        if is_sqlite():
            database = Path(connection.settings_dict["NAME"])
            _check_not_in_use(database)
            Path(f"{database}-shm").unlink(missing_ok=True)  # of the replaced empty file
            os.replace(unpacked, database)
        else:
            postgres_tool(
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                str(unpacked),
            )
    finally:
        unpacked.unlink(missing_ok=True)


def write_secret_key(path: Path, key: bytes) -> None:
    """The backed-up key replaces the one this command generated on start (mode 0600)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    os.replace(temporary, path)
