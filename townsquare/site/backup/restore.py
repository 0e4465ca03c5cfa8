"""`townsquare restore`: the two passes over the archive, then the site moved into place."""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection, connections

from townsquare.site.backup.archive import (
    MANIFEST,
    MEDIA_PREFIX,
    SECRET_KEY_MEMBER,
    Entry,
    Manifest,
    checked_members,
    compare,
    copy_member,
    read_manifest,
    reading,
    verify,
)
from townsquare.site.backup.databases import counts, is_sqlite
from townsquare.site.backup.errors import BackupError, failing_as
from townsquare.site.backup.progress import Progress
from townsquare.site.backup.target import (
    check_empty_target,
    check_migrations,
    check_vendor,
    place_database,
    place_media,
    remove,
    write_secret_key,
)


@dataclass
class RestoreSummary:
    members: int
    posts: int
    media_files: int
    migrations_applied: int


@dataclass
class _Unpacked:
    """The second pass's results, in temporary places until the restore commits."""

    database: Path
    media: Path
    media_files: int
    secret_key: bytes | None


def restore_backup(path: Path) -> RestoreSummary:
    """Rebuild a site from the archive at `path` into the configured (empty) target."""
    path = path.expanduser().absolute()
    manifest = verify(path)
    check_vendor(manifest)
    check_migrations(manifest)
    check_empty_target()
    connections.close_all()
    data_dir = Path(settings.DATA_DIR)
    with (
        failing_as(f"cannot restore into {data_dir}"),
        tempfile.TemporaryDirectory(dir=data_dir, prefix=".townsquare-restore-") as work,
    ):
        unpacked = _unpack(path, manifest, Path(work))
        try:
            check_empty_target()  # again: nothing may have arrived while unpacking
            placed = place_media(unpacked.media)
            try:
                place_database(unpacked.database)
            except BaseException:
                remove(placed)
                raise
        finally:
            unpacked.database.unlink(missing_ok=True)  # gone already, once moved into place
        if unpacked.secret_key is not None and not settings.CONFIG.secret_key:
            write_secret_key(data_dir / "secret_key", unpacked.secret_key)
    applied = _migrate()
    members, posts = counts()
    return RestoreSummary(members, posts, unpacked.media_files, applied)


def _unpack(path: Path, manifest: Manifest, work: Path) -> _Unpacked:
    """The second pass: every member to a temporary place, checked again against the manifest
    (the file could have changed since the first pass)."""
    # SQLite's file waits beside its final place, so that moving it in is one rename.
    database_dir = Path(connection.settings_dict["NAME"]).parent if is_sqlite() else work
    database_dir.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  # kept: it is moved into place later
        dir=database_dir, prefix=".townsquare-restore-", suffix=".db", delete=False
    )
    database = Path(handle.name)
    media = work / "media"
    media.mkdir()
    seen: dict[str, Entry] = {}
    secret_key = io.BytesIO()
    try:
        with (
            handle,
            Progress("restore", path.stat().st_size) as progress,
            reading(path) as (tar, raw),
        ):
            for name, member in checked_members(tar, path):
                if name == MANIFEST:
                    if read_manifest(tar, member, path) != manifest.raw:
                        raise BackupError(f"{path} changed while it was being restored")
                    continue
                if name == manifest.database_member:
                    seen[name] = copy_member(tar, member, raw, progress, handle)
                elif name == SECRET_KEY_MEMBER:
                    seen[name] = copy_member(tar, member, raw, progress, secret_key)
                elif name.startswith(MEDIA_PREFIX):
                    with _media_file(media, name) as out:
                        seen[name] = copy_member(tar, member, raw, progress, out)
                else:
                    raise BackupError(f"{path} is damaged: it holds {name} beside its database")
            with failing_as("cannot write the restored database"):
                handle.flush()
                os.fsync(handle.fileno())
        compare(manifest, seen, path)
    except BaseException:
        database.unlink(missing_ok=True)
        raise
    count = sum(1 for name in seen if name.startswith(MEDIA_PREFIX))
    key = secret_key.getvalue() if SECRET_KEY_MEMBER in seen else None
    return _Unpacked(database, media, count, key)


def _media_file(media: Path, name: str) -> IO[bytes]:
    target = media / name.removeprefix(MEDIA_PREFIX)
    with failing_as("cannot write the restored media"):
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.open("wb")


def _migrate() -> int:
    """Apply this code's migrations to the restored database; returns how many ran."""
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    connections.close_all()
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    call_command("migrate", interactive=False, verbosity=0)
    return pending
