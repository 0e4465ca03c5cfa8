"""Media in S3-compatible storage: a local S3 endpoint (moto's server mode, on loopback), a
bucket of each test's own. Pictures and videos become objects in the bucket with links under
the public base URL, they go with their posts or a failed job, data archives are private
objects served by the download view, `townsquare check` and `backup` know about the bucket,
and bad settings are one line naming the variable."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from tests import s3
from tests.api.conftest import api_as
from tests.conftest import client_of, text_of
from tests.factories import make_user, run_jobs
from tests.stored import write_stored
from tests.test_cli import Site, assert_ok, assert_one_line_failure
from tests.test_data_export import archive_of
from tests.test_media_images import camera_jpeg, upload_file
from townsquare.accounts.models import DataExport, ExportStatus, User
from townsquare.config import ConfigError, load_config
from townsquare.media import actions as media_actions
from townsquare.media.models import MediaAttachment, Status
from townsquare.media.s3 import bucket_problem, storages_for
from townsquare.posts import actions as post_actions

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def server() -> Iterator[s3.Server]:
    try:
        started = s3.start()
    except RuntimeError as exc:
        if s3.required():
            pytest.fail(f"no local S3 endpoint: {exc}")
        pytest.skip(f"no local S3 endpoint: {exc}")
    yield started
    started.stop()


@pytest.fixture
def bucket(server: s3.Server, settings: Any) -> str:
    """A new bucket, and the site's storage pointed at it (as TOWNSQUARE_S3_* would)."""
    name = server.create_bucket(f"club-{uuid.uuid4().hex[:12]}")
    variables = server.variables(name)
    config = settings.CONFIG.model_copy(
        update={key.removeprefix("TOWNSQUARE_").lower(): value for key, value in variables.items()}
    )
    settings.CONFIG = config
    settings.STORAGES = {**settings.STORAGES, **storages_for(config)}
    return name


def keys(server: s3.Server, bucket: str, prefix: str = "") -> list[str]:
    listed = server.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def object_bytes(server: s3.Server, bucket: str, key: str) -> bytes:
    body: bytes = server.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def processed(member: User, data: bytes, name: str, content_type: str) -> MediaAttachment:
    attachment = media_actions.upload(member, upload_file(data, name, content_type))
    run_jobs()
    attachment.refresh_from_db()
    return attachment


def test_a_picture_is_stored_in_the_bucket_and_linked_under_the_public_url(
    fern: User, server: s3.Server, bucket: str
) -> None:
    picture = processed(fern, camera_jpeg((1800, 1200)), "beds.jpg", "image/jpeg")
    assert picture.status == Status.READY
    assert len(picture.sizes) >= 2 and picture.thumbnail_path  # display sizes and thumbnail
    assert keys(server, bucket) == sorted(f"media/{path}" for path in picture.stored_paths())
    assert object_bytes(server, bucket, f"media/{picture.file_path}")[:3] == b"\xff\xd8\xff"

    public = f"{server.endpoint}/{bucket}/media/"
    url = default_storage.url(picture.file_path)
    assert url == public + picture.file_path
    post = post_actions.create_post(fern, text="The beds", media_ids=[picture.pk])
    page = text_of(client_of(make_user("basil")).get(f"/@fern/{post.pk}"))
    assert f'src="{url}"' in page or f'href="{url}"' in page
    assert "/media/attachments" not in page.replace(public, "")  # no local links
    entity = api_as(fern).get(f"/api/v1/statuses/{post.pk}").json()["media_attachments"][0]
    assert entity["url"] == url
    assert entity["preview_url"].startswith(public)

    # a /media/ link from before the move leads to the bucket
    moved = client_of(None).get(f"/media/{picture.file_path}")
    assert (moved.status_code, moved["Location"]) == (301, url)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_a_video_is_converted_through_the_bucket(
    fern: User, server: s3.Server, bucket: str, tmp_path: Path
) -> None:
    clip = tmp_path / "match.webm"
    subprocess.run(
        [
            str(shutil.which("ffmpeg")),
            *("-nostdin", "-y", "-v", "error", "-f", "lavfi"),
            *("-i", "testsrc=size=320x240:rate=15:duration=1", "-c:v", "libvpx-vp9"),
            *("-deadline", "realtime", str(clip)),
        ],
        check=True,
        capture_output=True,
    )
    video = processed(fern, clip.read_bytes(), "match.webm", "video/webm")
    assert video.status == Status.READY, video.error
    assert video.file_path.endswith(".mp4") and video.original_path == ""
    assert keys(server, bucket) == sorted(f"media/{path}" for path in video.stored_paths())
    assert object_bytes(server, bucket, f"media/{video.file_path}")[4:8] == b"ftyp"


def test_deleting_a_post_removes_its_objects(fern: User, server: s3.Server, bucket: str) -> None:
    picture = processed(fern, camera_jpeg(), "beds.jpg", "image/jpeg")
    post = post_actions.create_post(fern, text="Soon gone", media_ids=[picture.pk])
    assert keys(server, bucket)
    post_actions.delete_post(fern, post)
    run_jobs()
    assert keys(server, bucket) == []


def test_a_failed_processing_leaves_no_objects(fern: User, server: s3.Server, bucket: str) -> None:
    upload = media_actions.upload(fern, upload_file(camera_jpeg(), "beds.jpg", "image/jpeg"))
    assert keys(server, bucket) == [f"media/{upload.original_path}"]
    write_stored(upload.original_path, b"\xff\xd8\xff" + b"\x00" * 100)  # damaged meanwhile
    run_jobs()
    upload.refresh_from_db()
    assert upload.status == Status.FAILED
    assert keys(server, bucket) == []


def test_a_data_archive_is_a_private_object_served_to_its_owner(
    fern: User, server: s3.Server, bucket: str
) -> None:
    picture = processed(fern, camera_jpeg(), "beds.jpg", "image/jpeg")
    post_actions.create_post(fern, text="For the archive", media_ids=[picture.pk])
    archive = archive_of(fern)
    media = [name for name in archive.namelist() if name.startswith("media/")]
    assert media and archive.read(media[0])[:3] == b"\xff\xd8\xff"
    archives = keys(server, bucket, "private/")
    assert len(archives) == 1 and archives[0].startswith(f"private/exports/{fern.pk}/")
    assert not any(key.endswith(".zip") for key in keys(server, bucket, "media/"))
    # nobody else gets it, and the bucket's public prefix does not hold it
    row = DataExport.objects.get(member=fern, status=ExportStatus.READY)
    assert client_of(make_user("basil")).get(f"/settings/data/export/{row.pk}").status_code == 404
    assert not default_storage.exists(row.path)
    zipfile.ZipFile(io.BytesIO(object_bytes(server, bucket, archives[0]))).testzip()


def test_check_reports_the_bucket(server: s3.Server, bucket: str) -> None:
    assert bucket_problem() is None
    server.client().delete_bucket(Bucket=bucket)
    problem = bucket_problem()
    assert problem is not None and problem.startswith("TOWNSQUARE_S3_BUCKET:")
    assert bucket in problem and "\n" not in problem


# The command line, on a site storing in the bucket


def test_townsquare_check_and_backup_with_a_bucket(
    server: s3.Server, tmp_path: Path, migrated_database: Path
) -> None:
    name = server.create_bucket(f"site-{uuid.uuid4().hex[:12]}")
    site = Site.make(tmp_path, database=migrated_database, **server.variables(name))
    checked = site.townsquare("check")
    assert_ok(checked)
    assert f"media:     S3 bucket {name} at {server.endpoint}" in checked.stdout

    assert_ok(
        site.python(
            "from tests.factories import make_user\n"
            "from tests.test_media_images import camera_jpeg, upload_file\n"
            "from townsquare.media import actions\n"
            "actions.upload(make_user('fern'), upload_file(camera_jpeg(), 'a.jpg'))\n"
        )
    )
    assert keys(server, name, "media/attachments/originals/")
    backed = site.townsquare("backup", str(tmp_path / "club.tar.gz"))
    assert_ok(backed)
    assert f"Media stay in the S3 bucket {name}" in backed.stdout
    with tarfile.open(tmp_path / "club.tar.gz") as tar:
        assert not [n for n in tar.getnames() if n.startswith("media/")]

    (tmp_path / "other").mkdir()
    missing = Site.make(tmp_path / "other", **server.variables("no-such-bucket"))
    line = assert_one_line_failure(missing.townsquare("check"), names="TOWNSQUARE_S3_BUCKET")
    assert "no-such-bucket" in line and "does not exist" in line


# Settings


@pytest.mark.parametrize(
    ("variables", "names", "says"),
    [
        (
            {"TOWNSQUARE_S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
            "TOWNSQUARE_S3_BUCKET",
            "missing, but TOWNSQUARE_S3_ENDPOINT_URL is set",
        ),
        (
            {"TOWNSQUARE_S3_BUCKET": "club", "TOWNSQUARE_S3_ENDPOINT_URL": "ftp://files"},
            "TOWNSQUARE_S3_ENDPOINT_URL",
            "must be an http:// or https:// URL",
        ),
        (
            {"TOWNSQUARE_S3_BUCKET": "club", "TOWNSQUARE_S3_PUBLIC_URL": "cdn.example.org"},
            "TOWNSQUARE_S3_PUBLIC_URL",
            "must be an http:// or https:// URL",
        ),
        ({"TOWNSQUARE_S3_BUCKET": "Club_Media"}, "TOWNSQUARE_S3_BUCKET", "must be a bucket name"),
        (
            {"TOWNSQUARE_S3_BUCKET": "club", "TOWNSQUARE_S3_ACCESS_KEY_ID": "key"},
            "TOWNSQUARE_S3_SECRET_ACCESS_KEY",
            "missing, but TOWNSQUARE_S3_ACCESS_KEY_ID is set",
        ),
    ],
)
def test_bad_s3_settings_are_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], names: str, says: str
) -> None:
    for key in ("BUCKET", "ENDPOINT_URL", "REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY"):
        monkeypatch.delenv(f"TOWNSQUARE_S3_{key}", raising=False)
    monkeypatch.delenv("TOWNSQUARE_S3_PUBLIC_URL", raising=False)
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert message.startswith(f"{names}: ") and says in message and "\n" not in message


def test_bad_s3_settings_stop_the_command_with_one_line(tmp_path: Path) -> None:
    site = Site.make(tmp_path, TOWNSQUARE_S3_ENDPOINT_URL="http://127.0.0.1:9")
    assert_one_line_failure(site.townsquare("check"), names="TOWNSQUARE_S3_BUCKET")
