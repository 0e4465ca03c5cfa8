"""The archive: its members and manifest, writing it, and reading and verifying it.

The format is described in the package's docstring (`townsquare.site.backup`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tarfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection

import townsquare
from townsquare.site.backup.errors import BackupError, failing_as
from townsquare.site.backup.progress import Progress

FORMAT = "townsquare-backup"


FORMAT_VERSION = 1


MANIFEST = "manifest.json"


SQLITE_MEMBER = "db.sqlite3"


POSTGRES_MEMBER = "db.pgdump"


SECRET_KEY_MEMBER = "secret_key"


MEDIA_PREFIX = "media/"


DATABASE_MEMBERS = {"sqlite": SQLITE_MEMBER, "postgresql": POSTGRES_MEMBER}


CHUNK = 1024 * 1024


MAX_MANIFEST_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """What the manifest records of one member: its checksum and size."""

    sha256: str
    size: int


@dataclass
class Manifest:
    vendor: str
    townsquare_version: str
    migrations: list[tuple[str, str]]
    members: dict[str, Entry]
    raw: bytes = field(repr=False)

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBERS[self.vendor]


@dataclass
class Snapshot:
    """The database as one file, and the migrations applied to it."""

    member: str
    path: Path
    migrations: list[tuple[str, str]]


# --- writing an archive --------------------------------------------------------------------


class _HashingReader:
    """Reads a file for tarfile, hashing and counting exactly the bytes that go in."""

    def __init__(self, handle: IO[bytes], progress: Progress) -> None:
        self.handle = handle
        self.progress = progress
        self.sha256 = hashlib.sha256()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        self.count += len(data)
        self.progress.advance(len(data))
        return data

    def entry(self) -> Entry:
        return Entry(self.sha256.hexdigest(), self.count)


def _media_files() -> list[tuple[str, Path]]:
    """(member name, file) for every regular file under MEDIA_ROOT, in a stable order. None
    with S3-compatible storage: the bucket is backed up on its own (versioning, replication),
    as a copy of it in every archive would not scale."""
    if settings.CONFIG.s3:
        return []
    root = Path(settings.MEDIA_ROOT)
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in sorted(names):
            full = Path(folder, name)
            if full.is_file() and not full.is_symlink():
                found.append((MEDIA_PREFIX + full.relative_to(root).as_posix(), full))
    return found


def _secret_key_file() -> Path | None:
    """The generated key in the data dir, when the site uses it (not one set in the environment)."""
    path = Path(settings.DATA_DIR) / "secret_key"
    return path if not settings.CONFIG.secret_key and path.is_file() else None


def write_archive(raw: IO[bytes], destination: Path, snapshot: Snapshot) -> int:
    """Write every member, then the manifest of what was written; returns the media count."""
    media = _media_files()
    secret = _secret_key_file()
    files: list[tuple[str, Path, int]] = [(snapshot.member, snapshot.path, 0o600)]
    if secret is not None:
        files.append((SECRET_KEY_MEMBER, secret, 0o600))
    files += [(name, full, 0o644) for name, full in media]
    total = sum(_size_of(full) for _, full, _ in files)
    compressed = not destination.name.endswith(".tar")
    options: dict[str, Any] = {"compresslevel": 6} if compressed else {}
    members: dict[str, Entry] = {}
    with (
        Progress("backup", total) as progress,
        tarfile.open(fileobj=raw, mode="w:gz" if compressed else "w", **options) as tar,
    ):
        for name, full, mode in files:
            entry = _add_file(tar, name, full, mode, progress)
            if entry is not None:
                members[name] = entry
        manifest = _manifest(snapshot, members)
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(manifest), 0o644, int(time.time())
        tar.addfile(info, io.BytesIO(manifest))
    return sum(1 for name in members if name.startswith(MEDIA_PREFIX))


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _add_file(
    tar: tarfile.TarFile, name: str, path: Path, mode: int, progress: Progress
) -> Entry | None:
    """Add one file as it is at this moment: its size is taken from the open handle, so a file
    replaced meanwhile is read whole, old or new. None when it disappeared (a deleted post)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        status = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = status.st_size, mode, int(status.st_mtime)
        reader = _HashingReader(handle, progress)
        tar.addfile(info, reader)  # tarfile only calls read()
    return reader.entry()


def _manifest(snapshot: Snapshot, members: dict[str, Entry]) -> bytes:
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "townsquare_version": townsquare.__version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {"vendor": connection.vendor, "member": snapshot.member},
        "migrations": [list(pair) for pair in snapshot.migrations],
        "members": {
            name: {"sha256": entry.sha256, "size": entry.size} for name, entry in members.items()
        },
    }
    return json.dumps(document, indent=1).encode()


# --- reading an archive --------------------------------------------------------------------


@contextlib.contextmanager
def reading(path: Path) -> Iterator[tuple[tarfile.TarFile, IO[bytes]]]:
    """Open the archive; any sign of damage while reading it becomes one BackupError."""
    try:
        with path.open("rb") as raw, tarfile.open(fileobj=raw, mode="r:*") as tar:
            yield tar, raw
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            f"{path} cannot be read: it is damaged, cut short or not a backup ({_reason(exc)})"
        ) from None


def _reason(exc: BaseException) -> str:
    """The first line of what went wrong (tarfile lists every compression it tried)."""
    text = str(exc).strip()
    if isinstance(exc, tarfile.ReadError) and text.startswith("file could not be opened"):
        return "not a tar archive"
    return text.splitlines()[0].rstrip(":") if text else type(exc).__name__


def checked_members(tar: tarfile.TarFile, path: Path) -> Iterator[tuple[str, tarfile.TarInfo]]:
    """Each member with its checked name. Anything a Townsquare backup never holds (links,
    folders, devices, odd names, a name twice) means another program made the archive."""
    seen: set[str] = set()
    for member in tar:
        name = member.name
        if not member.isfile() or not _allowed_name(name) or name in seen:
            raise BackupError(f"{path} is not a Townsquare backup (it holds {name!r})")
        seen.add(name)
        yield name, member


def _allowed_name(name: str) -> bool:
    if name in (MANIFEST, SECRET_KEY_MEMBER, *DATABASE_MEMBERS.values()):
        return True
    if not name.startswith(MEDIA_PREFIX) or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    return len(parts) > 1 and not any(part in ("", ".", "..") for part in parts)


def copy_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    raw: IO[bytes],
    progress: Progress,
    out: IO[bytes] | None = None,
) -> Entry:
    """Read one member (into `out` when given), hashing it as it goes. Progress is how far
    into the archive file reading has gone (compressed bytes, for gzip)."""
    handle = tar.extractfile(member)
    assert handle is not None  # a regular file (checked by checked_members)
    digest, count = hashlib.sha256(), 0
    while data := handle.read(CHUNK):
        digest.update(data)
        count += len(data)
        if out is not None:
            with failing_as("cannot write the restored files"):
                out.write(data)
        progress.update(raw.tell())
    return Entry(digest.hexdigest(), count)


def read_manifest(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> bytes:
    if member.size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{path} is not a Townsquare backup (its manifest is too large)")
    handle = tar.extractfile(member)
    assert handle is not None
    return handle.read()


def verify(path: Path) -> Manifest:
    """The first pass: read every member and compare it with the manifest. Writes nothing."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    seen: dict[str, Entry] = {}
    raw_manifest = None
    with (
        Progress("checking", path.stat().st_size, quiet_unless_tty=True) as progress,
        reading(path) as (tar, raw),
    ):
        for name, member in checked_members(tar, path):
            if name == MANIFEST:
                raw_manifest = read_manifest(tar, member, path)
            else:
                seen[name] = copy_member(tar, member, raw, progress)
        _drain(tar)
    if raw_manifest is None:
        raise BackupError(
            f"{path} is damaged, cut short or not a Townsquare backup: it has no {MANIFEST}"
        )
    manifest = _parse_manifest(raw_manifest, path)
    compare(manifest, seen, path)
    return manifest


def _drain(tar: tarfile.TarFile) -> None:
    """Read to the end of the file, so that gzip checks its CRC over everything (tarfile
    stops at the end-of-archive marker, and at a damaged header as if it were one)."""
    fileobj: Any = tar.fileobj
    while fileobj.read(CHUNK):
        pass


def _parse_manifest(raw: bytes, path: Path) -> Manifest:
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Townsquare backup (its manifest is of another kind)")
    version = document.get("version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise BackupError(
            f"{path} was made by a newer Townsquare (backup format {version}): upgrade first"
        )
    try:
        vendor = document["database"]["vendor"]
        manifest = Manifest(
            vendor=str(vendor),
            townsquare_version=str(document["townsquare_version"]),
            migrations=[(str(app), str(name)) for app, name in document["migrations"]],
            members={
                str(name): Entry(str(item["sha256"]), int(item["size"]))
                for name, item in document["members"].items()
            },
            raw=raw,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BackupError(f"{path} is damaged: its manifest is incomplete") from None
    if manifest.vendor not in DATABASE_MEMBERS:
        raise BackupError(
            f"{path} holds a {manifest.vendor} database, which Townsquare cannot restore"
        )
    return manifest


def compare(manifest: Manifest, seen: dict[str, Entry], path: Path) -> None:
    """Every member the manifest lists is there, whole, and nothing else is."""
    for name, entry in manifest.members.items():
        found = seen.get(name)
        if found is None:
            raise BackupError(f"{path} is damaged: {name} is missing")
        if found != entry:
            raise BackupError(f"{path} is damaged: {name} does not match its checksum")
    extra = sorted(set(seen) - set(manifest.members))
    if extra:
        raise BackupError(
            f"{path} is damaged: it holds {extra[0]}, which its manifest does not list"
        )
    if manifest.database_member not in manifest.members:
        raise BackupError(f"{path} is damaged: it has no database")
