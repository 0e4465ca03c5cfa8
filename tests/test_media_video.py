"""Video attachments: converted to H.264 MP4 with a poster when ffmpeg is installed; without
it, only MP4 and WebM that browsers play as they are, checked from their headers."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image

from tests.factories import run_jobs
from tests.stored import local_copy, url_prefix, write_stored
from tests.stored import read_stored as read_object
from tests.test_media_images import animated_gif, media_root, stored_files, upload_file
from townsquare.accounts.models import User
from townsquare.media import actions, video
from townsquare.media.containers import read_container
from townsquare.media.models import Kind, MediaAttachment, Status
from townsquare.media.render import gallery_html

pytestmark = pytest.mark.django_db
__all__ = ["media_root"]  # the autouse fixture: every test stores into its own folder

FFMPEG = shutil.which("ffmpeg")
if FFMPEG is None and os.environ.get("CI") != "true":
    pytest.skip("ffmpeg is not installed (scripts/test installs it)", allow_module_level=True)


def make_clip(folder: Path, name: str, *args: str, seconds: float = 2.0) -> bytes:
    """A short test-pattern clip (with a 440 Hz tone unless -an is given) made by ffmpeg."""
    target = folder / name
    subprocess.run(
        [
            str(FFMPEG),
            *("-nostdin", "-y", "-v", "error"),
            *("-f", "lavfi", "-i", f"testsrc=size=320x240:rate=15:duration={seconds}"),
            *("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"),
            *("-metadata", "title=Chess society night", *args, str(target)),
        ],
        check=True,
        capture_output=True,
    )
    return target.read_bytes()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("clips")
    h264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
    return {
        "mp4": make_clip(folder, "match.mp4", *h264),
        "faststart": make_clip(folder, "fast.mp4", *h264, "-movflags", "+faststart"),
        "long": make_clip(folder, "long.mp4", *h264, seconds=6),
        "webm": make_clip(
            folder, "match.webm", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus"
        ),
        "mpeg4": make_clip(folder, "old.mp4", "-c:v", "mpeg4", "-c:a", "aac"),
        "mov": make_clip(folder, "phone.mov", *h264),
    }


def probe(path: Path) -> dict:
    out = subprocess.run(
        [
            shutil.which("ffprobe") or "ffprobe",
            *("-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)),
        ],
        check=True,
        capture_output=True,
    )
    return json.loads(out.stdout)


@pytest.fixture
def no_ffmpeg(settings) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "FFMPEG_PATH": "/nonexistent/bin/ffmpeg"}


def test_ffmpeg_status_says_it_is_usable_or_why_not(settings):
    assert video.ffmpeg_status() is None
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "FFMPEG_PATH": "/nonexistent/bin/ffmpeg"}
    status = video.ffmpeg_status()
    assert status is not None
    assert "'/nonexistent/bin/ffmpeg'" in status
    assert "TOWNSQUARE_FFMPEG_PATH" in status
    assert "\n" not in status
    with translation.override("fr"):  # the operator's dashboard speaks their language
        french = video.ffmpeg_status()
    assert french is not None and french != status and "'/nonexistent/bin/ffmpeg'" in french


# With ffmpeg


def test_a_video_is_converted_to_h264_mp4_with_a_poster(
    fern: User, media_root: Path, clips: dict[str, bytes]
):
    attachment = actions.upload(fern, upload_file(clips["webm"], "match.webm", "video/webm"))
    assert (attachment.kind, attachment.status) == (Kind.VIDEO, Status.PROCESSING)
    assert "Processing…" in gallery_html([attachment], sensitive=False)

    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.READY
    assert attachment.file_path.endswith(".mp4")
    info = probe(local_copy(attachment.file_path, media_root.parent))
    codecs = {s["codec_type"]: s["codec_name"] for s in info["streams"]}
    assert codecs == {"video": "h264", "audio": "aac"}
    assert "title" not in info["format"].get("tags", {})  # metadata dropped
    assert (attachment.width, attachment.height) == (320, 240)
    assert attachment.duration == pytest.approx(2.0, abs=0.2)
    poster = Image.open(io.BytesIO(read_object(attachment.sizes[0]["path"])))
    assert poster.size == (320, 240)
    assert attachment.thumbnail_path and attachment.blurhash
    assert attachment.original_path == ""
    assert stored_files(media_root) == sorted(attachment.stored_paths())
    html = gallery_html([attachment], sensitive=False)
    assert "<video controls playsinline" in html
    assert f'poster="{url_prefix()}' in html


def test_an_old_codec_is_converted_when_ffmpeg_is_there(
    fern: User, media_root: Path, clips: dict[str, bytes]
):
    attachment = actions.upload(fern, upload_file(clips["mpeg4"], "old.mp4", "video/mp4"))
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.READY
    streams = probe(local_copy(attachment.file_path, media_root.parent))["streams"]
    assert [s["codec_name"] for s in streams if s["codec_type"] == "video"] == ["h264"]


def test_an_animated_gif_becomes_a_silent_looping_video(fern: User, media_root: Path):
    attachment = actions.upload(fern, upload_file(animated_gif(), "sprout.gif", "image/gif"))
    assert attachment.kind == Kind.GIFV
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.READY
    streams = probe(local_copy(attachment.file_path, media_root.parent))["streams"]
    assert [s["codec_type"] for s in streams] == ["video"]
    html = gallery_html([attachment], sensitive=False)
    assert "<video autoplay loop muted playsinline" in html


def test_a_single_frame_gif_is_an_image(fern: User):
    attachment = actions.upload(fern, upload_file(animated_gif(frames=1), "dot.gif", "image/gif"))
    assert attachment.kind == Kind.IMAGE


def test_a_video_over_the_time_limit_is_refused(
    fern: User, media_root: Path, clips: dict[str, bytes], settings
):
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "MAX_VIDEO_SECONDS": 5}
    with pytest.raises(ValidationError) as caught:
        actions.upload(fern, upload_file(clips["long"], "long.mp4", "video/mp4"))
    assert caught.value.messages == ["That video is too long (6 seconds; the limit is 5 seconds)."]
    assert stored_files(media_root) == []
    assert not MediaAttachment.objects.exists()


def test_a_video_over_the_byte_limit_is_refused(
    fern: User, media_root: Path, clips: dict[str, bytes], settings
):
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "MAX_VIDEO_BYTES": 8 * 1024}
    with pytest.raises(ValidationError) as caught:
        actions.upload(fern, upload_file(clips["mp4"], "match.mp4", "video/mp4"))
    assert caught.value.messages == ["That file is too large (the limit is 8 KB)."]
    assert stored_files(media_root) == []


def test_a_file_that_only_looks_like_an_mp4_is_refused(fern: User, media_root: Path):
    fake = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"not a real video" * 50
    with pytest.raises(ValidationError) as caught:
        actions.upload(fern, upload_file(fake, "clip.mp4", "video/mp4"))
    assert caught.value.messages == ["That file is not a video we can read."]
    assert stored_files(media_root) == []


def test_a_failed_conversion_marks_the_video_failed_and_leaves_no_files(
    fern: User, media_root: Path, clips: dict[str, bytes]
):
    attachment = actions.upload(fern, upload_file(clips["mp4"], "match.mp4", "video/mp4"))
    write_stored(attachment.original_path, clips["mp4"][:2000])  # cut short
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.FAILED
    assert attachment.error.startswith("This file could not be converted")
    assert stored_files(media_root) == []
    assert "could not be processed" in gallery_html([attachment], sensitive=False)


# Without ffmpeg


@pytest.mark.usefixtures("no_ffmpeg")
@pytest.mark.parametrize(("clip", "name"), [("mp4", "match.mp4"), ("webm", "match.webm")])
def test_without_ffmpeg_a_browser_ready_video_is_kept_as_it_is_less_its_metadata(
    fern: User, media_root: Path, clips: dict[str, bytes], clip: str, name: str
):
    attachment = actions.upload(fern, upload_file(clips[clip], name, f"video/{clip}"))
    assert attachment.duration == pytest.approx(2.0, abs=0.2)
    assert (attachment.width, attachment.height) == (320, 240)
    original = attachment.original_path
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.READY
    assert attachment.file_path.endswith(f"-video.{clip}")
    assert attachment.original_path == ""
    published = read_object(attachment.file_path)
    assert len(published) == len(clips[clip])  # the same file, in place
    assert b"Chess society night" in clips[clip]
    assert b"Chess society night" not in published  # (more in test_media_video_metadata.py)
    assert stored_files(media_root) == [attachment.file_path]  # the original is gone
    assert original not in stored_files(media_root)
    assert "<video controls playsinline" in gallery_html([attachment], sensitive=False)


@pytest.mark.usefixtures("no_ffmpeg")
def test_without_ffmpeg_another_codec_is_refused_with_the_reason(
    fern: User, media_root: Path, clips: dict[str, bytes]
):
    with pytest.raises(ValidationError) as caught:
        actions.upload(fern, upload_file(clips["mpeg4"], "old.mp4", "video/mp4"))
    message = caught.value.messages[0]
    assert "ffmpeg is not installed" in message
    assert "MP4 with H.264 video and AAC audio" in message
    assert "This one uses mp4v, mp4a." in message
    assert stored_files(media_root) == []


@pytest.mark.usefixtures("no_ffmpeg")
def test_without_ffmpeg_a_quicktime_file_is_refused(
    fern: User, media_root: Path, clips: dict[str, bytes]
):
    with pytest.raises(ValidationError) as caught:
        actions.upload(fern, upload_file(clips["mov"], "phone.mov", "video/quicktime"))
    assert "ffmpeg is not installed" in caught.value.messages[0]


@pytest.mark.usefixtures("no_ffmpeg")
def test_without_ffmpeg_the_time_limit_is_read_from_the_header(
    fern: User, clips: dict[str, bytes], settings
):
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "MAX_VIDEO_SECONDS": 5}
    with pytest.raises(ValidationError) as caught:
        actions.upload(fern, upload_file(clips["long"], "long.mp4", "video/mp4"))
    assert "too long (6 seconds" in caught.value.messages[0]


@pytest.mark.parametrize("clip", ["mp4", "faststart"])
def test_mp4_headers_are_read_wherever_the_index_is(clips: dict[str, bytes], clip: str):
    info = read_container(io.BytesIO(clips[clip]), "mp4")
    assert (info.container, info.video_codecs, info.audio_codecs) == ("mp4", ["avc1"], ["mp4a"])
    assert (info.width, info.height) == (320, 240)
    assert info.duration == pytest.approx(2.0, abs=0.1)


def test_webm_headers_are_read(clips: dict[str, bytes]):
    info = read_container(io.BytesIO(clips["webm"]), "webm")
    assert (info.container, info.video_codecs, info.audio_codecs) == ("webm", ["V_VP9"], ["A_OPUS"])
    assert (info.width, info.height) == (320, 240)
    assert info.duration == pytest.approx(2.0, abs=0.1)
