"""`townsquare backup`: one archive of the site, written under a temporary name."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from townsquare.site.backup.archive import write_archive
from townsquare.site.backup.databases import counts, snapshot_database
from townsquare.site.backup.errors import BackupError, failing_as


@dataclass
class BackupSummary:
    path: Path
    size: int
    members: int
    posts: int
    media_files: int


def default_path() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(settings.DATA_DIR) / "backups" / f"townsquare-{stamp}.tar.gz"


def _destination(path: Path | None) -> Path:
    """Where to write: PATH, a default name inside PATH when it is a folder, or the default."""
    if path is None:
        return default_path()
    path = path.expanduser().absolute()
    if path.is_dir():
        path = path / default_path().name
    if not path.name.endswith((".tar", ".tar.gz", ".tgz")):
        raise BackupError(f"{path}: a backup's name ends in .tar.gz (compressed) or .tar")
    if path.exists():
        raise BackupError(f"{path} already exists: choose another name")
    if path.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve()):
        raise BackupError(f"{path} is inside the media folder: choose a place outside it")
    return path


def create_backup(path: Path | None = None) -> BackupSummary:
    """Write one archive of the site (database, secret key, media) to `path`. It is written
    under a temporary name and linked into place at the end, so an interrupted backup leaves
    no half archive, and an existing file is never replaced."""
    destination = _destination(path)
    with (
        failing_as("the backup failed"),
        tempfile.TemporaryDirectory(dir=_folder(destination), prefix=".townsquare-backup-") as work,
    ):
        snapshot = snapshot_database(Path(work))
        partial = Path(work) / "archive.partial"  # created 0600: the archive holds secrets
        partial.touch(mode=0o600)
        with partial.open("wb") as raw:
            media_files = write_archive(raw, destination, snapshot)
            raw.flush()
            os.fsync(raw.fileno())
        try:
            os.link(partial, destination)
        except FileExistsError:
            raise BackupError(f"{destination} already exists: choose another name") from None
    members, posts = counts()
    return BackupSummary(destination, destination.stat().st_size, members, posts, media_files)


def _folder(destination: Path) -> Path:
    """The archive's folder, made private when this creates it (backups hold secrets)."""
    with failing_as(f"cannot create {destination.parent}"):
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return destination.parent
