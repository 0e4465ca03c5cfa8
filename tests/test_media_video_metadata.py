"""Hidden details in videos (where it was filmed, when, titles, device and software names) never
reach other members: ffmpeg's conversion drops them, and without ffmpeg they are removed from
the MP4 or WebM in place, the video playing exactly as before."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.factories import run_jobs
from tests.stored import local_copy, write_stored
from tests.stored import read_stored as read_object
from tests.test_media_images import media_root, stored_files, upload_file
from townsquare.accounts.models import User
from townsquare.media import actions, metadata
from townsquare.media.models import MediaAttachment, Status

pytestmark = pytest.mark.django_db
__all__ = ["media_root"]  # the autouse fixture: every test stores into its own folder

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
if (FFMPEG is None or FFPROBE is None) and os.environ.get("CI") != "true":
    pytest.skip("ffmpeg is not installed (scripts/test installs it)", allow_module_level=True)

SECRETS = [b"Chess society night", b"Rook endgame study", b"Board camera", b"+48.8584"]
TAGS = [
    *("-metadata", "title=Chess society night", "-metadata", "comment=Rook endgame study"),
    *("-metadata", "location=+48.8584+002.2945/"),
    *("-metadata", "creation_time=2024-05-04T10:11:12Z"),
    *("-metadata", "encoder=Chess club camera", "-metadata:s:v", "title=Board camera"),
]
H264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
VP9 = ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus")


def make_clip(folder: Path, name: str, *args: str) -> bytes:
    """A one-second test pattern with a tone, carrying the tags above."""
    target = folder / name
    subprocess.run(
        [
            str(FFMPEG),
            *("-nostdin", "-y", "-v", "error"),
            *("-f", "lavfi", "-i", "testsrc=size=160x120:rate=15:duration=1"),
            *("-f", "lavfi", "-i", "sine=frequency=440:duration=1", *TAGS, *args, str(target)),
        ],
        check=True,
        capture_output=True,
    )
    return target.read_bytes()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("tagged")
    return {
        "mp4": make_clip(folder, "club.mp4", *H264),
        "faststart": make_clip(folder, "fast.mp4", *H264, "-movflags", "+faststart"),
        "metadata-tags": make_clip(folder, "tags.mp4", *H264, "-movflags", "use_metadata_tags"),
        "webm": make_clip(folder, "club.webm", *VP9),
        "mkv": make_clip(folder, "club.mkv", *VP9),  # Matroska: with CRC-32 checksums
    }


def probe(path: Path) -> dict:
    done = subprocess.run(
        [str(FFPROBE), "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        check=True,
        capture_output=True,
    )
    return json.loads(done.stdout)


def all_tags(info: dict) -> dict[str, str]:
    tags = {k.lower(): v for k, v in info["format"].get("tags", {}).items()}
    for stream in info["streams"]:
        tags.update({k.lower(): v for k, v in stream.get("tags", {}).items()})
    return tags


def format_tags(path: Path) -> dict[str, str]:
    return {k.lower(): v for k, v in probe(path)["format"].get("tags", {}).items()}


def playback(info: dict) -> tuple:
    """What a player relies on: length, and each stream's codec, picture and sound."""
    keys = ("codec_type", "codec_name", "width", "height", "pix_fmt", "sample_rate", "channels")
    streams = [tuple(s.get(k) for k in keys) for s in info["streams"]]
    return info["format"]["duration"], streams


def assert_decodes_cleanly(path: Path) -> None:
    done = subprocess.run(
        [str(FFMPEG), "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
    )
    assert done.returncode == 0
    assert done.stderr == b""


def assert_no_hidden_details(path: Path) -> None:
    data = path.read_bytes()
    assert [s for s in SECRETS if s in data] == []
    tags = all_tags(probe(path))
    for gone in ("title", "comment", "location", "location-eng", "creation_time", "date"):
        assert gone not in tags, gone
    assert "Chess club camera" not in json.dumps(tags)


@pytest.fixture
def no_ffmpeg(settings) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "FFMPEG_PATH": "/nonexistent/bin/ffmpeg"}


def publish(owner: User, data: bytes, name: str) -> MediaAttachment:
    kind = name.rsplit(".", 1)[-1]
    attachment = actions.upload(owner, upload_file(data, name, f"video/{kind}"))
    run_jobs()
    attachment.refresh_from_db()
    return attachment


def test_the_test_clips_carry_the_details(tmp_path: Path, clips: dict[str, bytes]):
    for name in ("mp4", "metadata-tags", "webm"):
        (tmp_path / name).write_bytes(clips[name])
        tags = format_tags(tmp_path / name)
        assert tags["title"] == "Chess society night"
        assert tags["location"] == "+48.8584+002.2945/"
        assert "creation_time" in tags


# Without ffmpeg: removed in place


@pytest.mark.usefixtures("no_ffmpeg")
@pytest.mark.parametrize(
    ("clip", "name"),
    [
        ("mp4", "club.mp4"),
        ("faststart", "fast.mp4"),
        ("metadata-tags", "tags.mp4"),
        ("webm", "club.webm"),
    ],
)
def test_without_ffmpeg_the_published_video_has_no_hidden_details(
    fern: User, media_root: Path, tmp_path: Path, clips: dict[str, bytes], clip: str, name: str
):
    attachment = publish(fern, clips[clip], name)
    assert attachment.status == Status.READY
    extension = name.rsplit(".", 1)[-1]
    assert attachment.file_path.endswith(f"-video.{extension}")
    assert attachment.original_path == ""
    assert stored_files(media_root) == [attachment.file_path]  # the original is deleted

    published = local_copy(attachment.file_path, media_root.parent)
    assert published.stat().st_size == len(clips[clip])  # nothing moved
    assert_no_hidden_details(published)
    assert_decodes_cleanly(published)
    source = tmp_path / name
    source.write_bytes(clips[clip])
    assert playback(probe(published)) == playback(probe(source))


def wide_boxes(data: bytes) -> bytes:
    """The same MP4 with a 64-bit mdat size, a moov of size 0 ("to the end of the file") and a
    64-bit udta inside it: sizes that writers of large files use."""
    free = data.index(b"free") - 4
    mdat = data.index(b"mdat") - 4
    assert mdat == free + 8  # ffmpeg keeps 8 bytes before mdat for this very purpose
    (mdat_size,) = struct.unpack(">I", data[mdat : mdat + 4])
    moov = data.index(b"moov") - 4
    assert moov == mdat + mdat_size  # the index is last
    body = data[moov + 8 :]
    udta = 0
    while body[udta + 4 : udta + 8] != b"udta":  # the movie's own, after the tracks
        udta += struct.unpack(">I", body[udta : udta + 4])[0]
    (udta_size,) = struct.unpack(">I", body[udta : udta + 4])
    wide_udta = struct.pack(">I4sQ", 1, b"udta", udta_size + 8) + body[udta + 8 : udta + udta_size]
    body = body[:udta] + wide_udta + body[udta + udta_size :]
    wide_mdat = struct.pack(">I4sQ", 1, b"mdat", mdat_size + 8)
    return data[:free] + wide_mdat + data[mdat + 8 : moov] + struct.pack(">I4s", 0, b"moov") + body


@pytest.mark.usefixtures("no_ffmpeg")
def test_without_ffmpeg_64_bit_and_open_ended_boxes_are_handled(
    fern: User, media_root: Path, tmp_path: Path, clips: dict[str, bytes]
):
    wide = wide_boxes(clips["mp4"])
    source = tmp_path / "wide.mp4"
    source.write_bytes(wide)
    assert_decodes_cleanly(source)
    assert format_tags(source)["title"] == "Chess society night"

    attachment = publish(fern, wide, "wide.mp4")
    assert attachment.status == Status.READY
    published = local_copy(attachment.file_path, media_root.parent)
    assert_no_hidden_details(published)
    assert_decodes_cleanly(published)
    assert playback(probe(published)) == playback(probe(source))


def damage_mp4(data: bytes) -> bytes:
    udta = data.index(b"udta") - 4
    return data[:udta] + struct.pack(">I", 0x7FFFFFFF) + data[udta + 4 :]


def damage_webm(data: bytes) -> bytes:
    tags = data.rindex(b"\x12\x54\xc3\x67")
    return data[: tags + 4] + b"\x08\xff\xff\xff\xff\xff\xff\xff" + data[tags + 12 :]


@pytest.mark.usefixtures("no_ffmpeg")
@pytest.mark.parametrize(
    ("clip", "name", "damage"),
    [("mp4", "club.mp4", damage_mp4), ("webm", "club.webm", damage_webm)],
)
def test_without_ffmpeg_a_video_whose_details_cannot_be_removed_is_not_published(
    fern: User, media_root: Path, clips: dict[str, bytes], clip: str, name: str, damage
):
    attachment = actions.upload(fern, upload_file(clips[clip], name, f"video/{clip}"))
    write_stored(attachment.original_path, damage(read_object(attachment.original_path)))
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.FAILED
    assert attachment.error.startswith(
        "This video was not published: its hidden details (such as where it was filmed) "
        "could not be removed."
    )
    assert "damaged" in attachment.error
    assert attachment.file_path == ""
    assert stored_files(media_root) == []


def test_a_cut_short_file_is_refused_rather_than_half_cleaned(clips: dict[str, bytes]):
    for container, data in (("mp4", clips["faststart"]), ("webm", clips["webm"])):
        handle = io.BytesIO(data[:300])
        with pytest.raises(metadata.ContainerError):
            (metadata.strip_mp4 if container == "mp4" else metadata.strip_webm)(handle)


# The Void element that replaces a WebM element has exactly its length


def _ebml_size(data: bytes) -> tuple[int, int]:
    length = 9 - data[0].bit_length()
    value = int.from_bytes(data[:length], "big") & ((1 << (7 * length)) - 1)
    return value, length


def test_a_void_takes_exactly_the_place_of_what_it_replaces():
    totals = [*range(2, 200), *range(16_370, 16_400), *range(2**21 - 5, 2**21 + 8)]
    for total in [*totals, 2**28 + 3, 2**35 + 7, 2**42 + 1]:
        header = metadata.void_header(total)
        assert header[0] == 0xEC
        size, length = _ebml_size(header[1:])
        assert len(header) == 1 + length <= total
        assert 1 + length + size == total, total
        assert size != (1 << (7 * length)) - 1  # never the "unknown size" value


def _crc_checks(data: bytes, start: int, end: int) -> list[bool]:
    """Whether each CRC-32 element found in the masters of data[start:end] still matches."""
    results = []
    pos = start
    while pos < end:
        id_length = 9 - data[pos].bit_length()
        ident = int.from_bytes(data[pos : pos + id_length], "big")
        size, size_length = _ebml_size(data[pos + id_length :])
        payload = pos + id_length + size_length
        if ident == 0x18538067:  # Segment: its children are the checked masters
            results += _crc_checks(data, payload, min(payload + size, end))
        elif data[payload] == 0xBF:  # a master starting with a CRC-32 of the rest
            crc = struct.unpack("<I", data[payload + 2 : payload + 6])[0]
            results.append(crc == zlib.crc32(data[payload + 6 : payload + size]))
        pos = payload + size
    return results


def test_matroska_checksums_stay_true(tmp_path: Path, clips: dict[str, bytes]):
    assert _crc_checks(clips["mkv"], 0, len(clips["mkv"])).count(True) >= 3
    path = tmp_path / "club.mkv"
    path.write_bytes(clips["mkv"])
    assert metadata.strip(path, "mkv") >= 3
    cleaned = path.read_bytes()
    assert all(_crc_checks(cleaned, 0, len(cleaned)))
    assert_no_hidden_details(path)
    assert_decodes_cleanly(path)


# With ffmpeg: converted without them


@pytest.mark.parametrize(("clip", "name"), [("metadata-tags", "tags.mp4"), ("webm", "club.webm")])
def test_a_converted_video_keeps_no_location_or_other_details(
    fern: User, media_root: Path, clips: dict[str, bytes], clip: str, name: str
):
    attachment = publish(fern, clips[clip], name)
    assert attachment.status == Status.READY
    published = local_copy(attachment.file_path, media_root.parent)
    assert_no_hidden_details(published)
    assert_decodes_cleanly(published)
    assert format_tags(published).get("encoder", "").startswith("Lavf")  # ours, not theirs
