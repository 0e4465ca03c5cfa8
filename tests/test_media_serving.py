"""Uploaded files served from local storage: whole, or by byte range (video players in
Safari and iOS need ranges), never outside the media folder."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_storage(settings, tmp_path) -> None:
    """These are the local folder's own view (with S3 the bucket serves media, and /media/
    links redirect there: tests/test_s3_storage.py)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


@pytest.fixture
def stored() -> str:
    path = default_storage.save("tests/clip.mp4", ContentFile(bytes(range(256)) * 40))
    yield path
    default_storage.delete(path)


def test_whole_file_and_ranges(client: Client, stored: str) -> None:
    whole = client.get(f"/media/{stored}")
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == bytes(range(256)) * 40
    part = client.get(f"/media/{stored}", HTTP_RANGE="bytes=0-1")
    assert part.status_code == 206 and part.content == bytes([0, 1])
    assert part["Content-Range"] == "bytes 0-1/10240"
    tail = client.get(f"/media/{stored}", HTTP_RANGE="bytes=-3")
    assert tail.status_code == 206 and tail.content == bytes([253, 254, 255])
    rest = client.get(f"/media/{stored}", HTTP_RANGE="bytes=10000-")
    assert rest.status_code == 206 and len(rest.content) == 240
    beyond = client.get(f"/media/{stored}", HTTP_RANGE="bytes=20000-20010")
    assert beyond.status_code == 416 and beyond["Content-Range"] == "bytes */10240"
    odd = client.get(f"/media/{stored}", HTTP_RANGE="bytes=1-2,5-6")  # several: whole file
    assert odd.status_code == 200


def test_paths_outside_media_are_refused(client: Client) -> None:
    for url in ("/media/../settings.py", "/media/%2e%2e/secret_key", "/media/nothing.jpg"):
        assert client.get(url).status_code in (400, 404), url
