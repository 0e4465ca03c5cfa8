"""What the media storage holds, whatever it is (the local media folder, or an S3 bucket under
this test's own prefix): tests look through these rather than at files on disk."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from townsquare.media.s3 import is_remote

if TYPE_CHECKING:
    from django.test import Client


def stored_names(storage: Any = None, root: Path | None = None) -> list[str]:
    """Every stored file's name, sorted: media by default, or those of `storage` (whose local
    folder is `root`, e.g. a test's own private folder)."""
    storage = default_storage if storage is None else storage
    if is_remote(storage):
        prefix = f"{storage.location}/" if storage.location else ""
        return sorted(
            item.key.removeprefix(prefix)
            for item in storage.bucket.objects.filter(Prefix=prefix)
            if not item.key.endswith("/")
        )
    root = root or Path(storage.location if storage is not default_storage else settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def fetched(client: Client, name: str) -> tuple[int, bytes]:
    """(status, body) of the stored file's link, fetched as a browser does: from Townsquare
    (the local media folder, through `client`), or from the bucket's public URL."""
    url = str(default_storage.url(name))
    if not is_remote(default_storage):
        response = client.get(url)
        streamed = getattr(response, "streaming_content", None)
        body = b"".join(streamed) if streamed is not None else response.content
        return response.status_code, body
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:  # loopback (the test server)
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def read_stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        data: bytes = handle.read()
    return data


def write_stored(name: str, data: bytes) -> None:
    """Replace the stored file `name` (e.g. to damage an original before its job runs)."""
    if default_storage.exists(name):
        default_storage.delete(name)
    assert default_storage.save(name, ContentFile(data)) == name


def local_copy(name: str, folder: Path) -> Path:
    """The stored file as a local file (for tools such as ffprobe)."""
    target = folder / "copies" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(read_stored(name))
    return target


def private_names(root: Path | None = None) -> list[str]:
    """Every file in the private storage (members' data archives)."""
    from django.core.files.storage import storages

    return stored_names(storages["private"], root)


def url_prefix() -> str:
    """The start of every stored media file's link ("/media/" for the local folder)."""
    return str(default_storage.url("x"))[:-1]
