"""Image attachments: checked by decoding, oriented, stripped of metadata, resized, with a
blurhash; processed in a job that leaves nothing behind when it fails or is run again."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import make_user, run_jobs
from tests.stored import read_stored as read_object
from tests.stored import stored_names, write_stored
from tests.test_profiles import png_header_claiming
from townsquare.accounts.models import User
from townsquare.core.ratelimit import Limit, RateLimited
from townsquare.media import actions, blurhash, storage, tasks
from townsquare.media.models import Kind, MediaAttachment, Status

pytestmark = pytest.mark.django_db

RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (40, 160, 70)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Stored files go to a folder of this test's own."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def stored_files(root: Path) -> list[str]:
    """Every stored media file (in `root`, this test's media folder, or this test's part of
    the S3 bucket)."""
    return stored_names()


def upload_file(data: bytes, name: str = "garden.jpg", content_type: str = "image/jpeg") -> object:
    return SimpleUploadedFile(name, data, content_type=content_type)


def halves(size: tuple[int, int], left: tuple[int, ...] = RED, right: tuple[int, ...] = BLUE):
    """An image whose left half is one colour and right half another."""
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def encoded(image: Image.Image, fmt: str = "JPEG", **save_args: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save_args)
    return out.getvalue()


def camera_jpeg(size: tuple[int, int] = (600, 400), orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: EXIF with camera name, GPS position and orientation."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x0110] = "AllotmentCam"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    return encoded(halves(size), "JPEG", exif=exif.tobytes(), quality=95)


def animated_gif(frames: int = 4, size: tuple[int, int] = (120, 80)) -> bytes:
    colours = [RED, GREEN, BLUE, (240, 200, 40)]
    images = [Image.new("RGB", size, colours[i % 4]) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def read_stored(root: Path, path: str) -> bytes:
    return read_object(path)


def processed(owner: User, data: bytes, name: str = "garden.jpg", **kwargs: str):
    attachment = actions.upload(owner, upload_file(data, name), **kwargs)
    run_jobs()
    attachment.refresh_from_db()
    return attachment


# Accepted images


def test_a_photo_is_oriented_stripped_resized_and_given_a_blurhash(fern: User, media_root: Path):
    data = camera_jpeg((2400, 1800), orientation=6)  # stored sideways; shown turned clockwise
    attachment = actions.upload(fern, upload_file(data), description="Garlic bed in rows")
    assert attachment.status == Status.PROCESSING
    assert attachment.kind == Kind.IMAGE
    assert stored_files(media_root) == [attachment.original_path]

    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.READY
    assert (attachment.width, attachment.height) == (1200, 1600)  # portrait once turned
    assert [(s["width"], s["height"]) for s in attachment.sizes] == [(1200, 1600), (600, 800)]
    assert attachment.file_path == attachment.sizes[0]["path"]
    for size in attachment.sizes:
        stored = read_stored(media_root, size["path"])
        assert b"AllotmentCam" not in stored
        image = Image.open(io.BytesIO(stored))
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert image.size == (size["width"], size["height"])
        # The left (red) half of the sensor is the top once turned clockwise.
        top = image.convert("RGB").getpixel((image.width // 2, image.height // 4))
        bottom = image.convert("RGB").getpixel((image.width // 2, image.height * 3 // 4))
        assert top[0] > 150 and top[2] < 100
        assert bottom[2] > 150 and bottom[0] < 100
    thumb = Image.open(io.BytesIO(read_stored(media_root, attachment.thumbnail_path)))
    assert thumb.size == (300, 400)
    assert len(attachment.blurhash) == 28  # 4 x 3 components
    # The original, with its location metadata, is gone; only the processed files remain.
    assert attachment.original_path == ""
    assert stored_files(media_root) == sorted(attachment.stored_paths())
    assert attachment.description == "Garlic bed in rows"


def test_a_small_image_is_not_enlarged(fern: User, media_root: Path):
    attachment = processed(fern, encoded(halves((500, 350))))
    assert [(s["width"], s["height"]) for s in attachment.sizes] == [(500, 350)]
    thumb = Image.open(io.BytesIO(read_stored(media_root, attachment.thumbnail_path)))
    assert thumb.size == (400, 280)


def test_a_transparent_png_keeps_its_transparency(fern: User, media_root: Path):
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image.paste((40, 160, 70, 255), (0, 0, 150, 200))
    attachment = processed(fern, encoded(image, "PNG"), "leaf.png")
    shown = Image.open(io.BytesIO(read_stored(media_root, attachment.file_path)))
    assert shown.format == "PNG"
    assert shown.mode == "RGBA"
    assert shown.getpixel((250, 100))[3] == 0


def test_a_webp_image_is_accepted(fern: User):
    attachment = processed(fern, encoded(halves((320, 200)), "WEBP"), "rows.webp")
    assert attachment.status == Status.READY


def test_without_ffmpeg_an_animated_gif_stays_animated(fern: User, media_root: Path, settings):
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "FFMPEG_PATH": "/nonexistent/ffmpeg"}
    attachment = processed(fern, animated_gif(), "sprout.gif")
    assert attachment.kind == Kind.IMAGE
    assert attachment.status == Status.READY
    shown = Image.open(io.BytesIO(read_stored(media_root, attachment.file_path)))
    assert shown.format == "GIF"
    assert shown.n_frames == 4
    assert attachment.thumbnail_path.endswith(".jpg")


def test_focus_and_description_are_kept(fern: User):
    attachment = actions.upload(
        fern, upload_file(encoded(halves((64, 64)))), description="Seedlings", focus="0.5,-0.25"
    )
    assert (attachment.focus_x, attachment.focus_y) == (0.5, -0.25)


@pytest.mark.parametrize("focus", ["2,0", "a,b", "0.1", "nan,0"])
def test_a_bad_focal_point_is_refused(fern: User, media_root: Path, focus: str):
    with pytest.raises(ValidationError) as caught:
        actions.upload(fern, upload_file(encoded(halves((64, 64)))), focus=focus)
    assert "focus" in caught.value.message_dict
    assert stored_files(media_root) == []


def test_a_description_over_1500_characters_is_refused(fern: User):
    with pytest.raises(ValidationError) as caught:
        actions.upload(fern, upload_file(encoded(halves((64, 64)))), description="x" * 1501)
    assert "at most 1,500 characters" in caught.value.message_dict["description"][0]


# Refused images


def refused(owner: User, data: bytes, name: str, root: Path) -> str:
    with pytest.raises(ValidationError) as caught:
        actions.upload(owner, upload_file(data, name, "image/png"))
    assert not MediaAttachment.objects.exists()
    assert stored_files(root) == []
    return " ".join(caught.value.messages)


def test_a_text_file_named_png_is_refused(fern: User, media_root: Path):
    notes = b"Minutes of the chess society: bring your own board.\n"
    message = refused(fern, notes, "board.png", media_root)
    assert message.startswith("Upload an image (JPEG, PNG, GIF or WebP) or a video")


def test_a_file_with_a_png_signature_but_no_picture_is_refused(fern: User, media_root: Path):
    fake = b"\x89PNG\r\n\x1a\n" + b"this is not really a picture of the allotment" * 10
    assert refused(fern, fake, "plot.png", media_root) == "That file is not an image we can read."


def test_a_30000_by_30000_image_is_refused_before_decoding(fern: User, media_root: Path):
    bomb = png_header_claiming(30_000, 30_000)
    assert len(bomb) < 1000
    message = refused(fern, bomb, "bomb.png", media_root)
    assert message == "That image has too many pixels. The limit is 40 megapixels."


def test_a_truncated_jpeg_is_refused(fern: User, media_root: Path):
    cut = encoded(halves((600, 600)))[:400]
    assert refused(fern, cut, "cut.jpg", media_root) == "That file is not an image we can read."


def test_a_bmp_is_refused(fern: User, media_root: Path):
    message = refused(fern, encoded(halves((40, 40)), "BMP"), "plot.bmp", media_root)
    assert message.startswith("Upload an image (JPEG, PNG, GIF or WebP) or a video")


def test_an_empty_file_is_refused(fern: User, media_root: Path):
    assert refused(fern, b"", "empty.png", media_root) == "That file is empty."


def test_an_image_over_the_byte_limit_is_refused(fern: User, media_root: Path, settings):
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "MAX_UPLOAD_BYTES": 4096}
    big = encoded(Image.effect_noise((200, 200), 80).convert("RGB"), "PNG")
    assert len(big) > 4096
    assert refused(fern, big, "noise.png", media_root) == (
        "That file is too large (the limit is 4 KB)."
    )


def test_uploads_are_rate_limited(fern: User, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(actions, "UPLOADS_PER_ACCOUNT", Limit("media-upload-test", 2, 3600))
    data = encoded(halves((32, 32)))
    actions.upload(fern, upload_file(data))
    actions.upload(fern, upload_file(data))
    with pytest.raises(RateLimited):
        actions.upload(fern, upload_file(data))
    assert MediaAttachment.objects.filter(owner=fern).count() == 2


def test_a_suspended_member_cannot_upload(media_root: Path):
    from django.core.exceptions import PermissionDenied

    rook = make_user("rook")
    rook.is_active = False
    rook.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        actions.upload(rook, upload_file(encoded(halves((32, 32)))))
    assert stored_files(media_root) == []


# The job


def test_a_file_that_fails_in_the_job_is_marked_failed_and_leaves_no_files(
    fern: User, media_root: Path
):
    attachment = actions.upload(fern, upload_file(encoded(halves((300, 200)))))
    # The stored original is damaged after the upload (a bad disk, a partial copy).
    write_stored(attachment.original_path, b"\xff\xd8\xff" + b"\x00" * 100)
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.FAILED
    assert attachment.error == "That file is not an image we can read."
    assert attachment.file_path == attachment.original_path == ""
    assert stored_files(media_root) == []


def test_the_failure_is_told_in_the_uploaders_language(fern: User, media_root: Path):
    fern.language = "fr"
    fern.save(update_fields=["language"])
    attachment = actions.upload(fern, upload_file(encoded(halves((300, 200)))))
    write_stored(attachment.original_path, b"\xff\xd8\xff" + b"\x00" * 100)
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.FAILED
    assert attachment.error == "Ce fichier n’est pas une image que nous savons lire."


def test_an_error_halfway_through_removes_the_files_already_written(
    fern: User, media_root: Path, monkeypatch: pytest.MonkeyPatch
):
    attachment = actions.upload(fern, upload_file(encoded(halves((2000, 1000)))))
    real_put = storage.put
    written: list[str] = []

    def put_then_break(path: str, content: object) -> str:
        if written:
            raise OSError("disk full")
        written.append(real_put(path, content))  # type: ignore[arg-type]
        return written[-1]

    monkeypatch.setattr(storage, "put", put_then_break)
    run_jobs()
    attachment.refresh_from_db()
    assert written  # one display size was stored before the error
    assert attachment.status == Status.FAILED
    assert attachment.error == "This file could not be processed."
    assert stored_files(media_root) == []


def test_a_job_that_crashed_midway_runs_again_cleanly(
    fern: User, media_root: Path, monkeypatch: pytest.MonkeyPatch
):
    attachment = actions.upload(fern, upload_file(encoded(halves((2000, 1000)))))
    real_put = storage.put
    calls: list[str] = []

    def put_then_die(path: str, content: object) -> str:
        calls.append(path)
        if len(calls) == 2:
            raise SystemExit("the worker process was killed")
        return real_put(path, content)  # type: ignore[arg-type]

    monkeypatch.setattr(storage, "put", put_then_die)
    with pytest.raises(SystemExit):
        tasks.process_attachment.call(attachment.pk)
    attachment.refresh_from_db()
    assert attachment.status == Status.PROCESSING
    assert len(stored_files(media_root)) == 2  # the original and one display file

    monkeypatch.setattr(storage, "put", real_put)
    assert tasks.process_attachment.call(attachment.pk) == "ready"
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.READY
    assert stored_files(media_root) == sorted(attachment.stored_paths())


def test_running_the_job_twice_is_harmless(fern: User, media_root: Path):
    attachment = processed(fern, encoded(halves((900, 600))))
    before = stored_files(media_root)
    assert tasks.process_attachment.call(attachment.pk) == "ready"
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.READY
    assert stored_files(media_root) == before == sorted(attachment.stored_paths())


def test_an_upload_deleted_while_processing_leaves_no_files(fern: User, media_root: Path):
    attachment = actions.upload(fern, upload_file(encoded(halves((300, 200)))))
    actions.discard_uploads(fern, [attachment.pk])
    assert tasks.process_attachment.call(attachment.pk) == "gone"
    run_jobs()
    assert stored_files(media_root) == []


# Blurhash


def gradient() -> Image.Image:
    image = Image.new("RGB", (32, 24))
    for y in range(24):
        for x in range(32):
            image.putpixel((x, y), (x * 8 % 256, y * 10 % 256, (x * y) % 256))
    return image


def test_blurhash_matches_the_reference_algorithm():
    # The value the reference implementation (the `blurhash` package) gives for this image.
    assert blurhash.encode(gradient(), 4, 3) == "LxH27h2lwtX3mAWUjwfAgFfmfTfi"


def test_blurhash_decodes_to_the_colours_it_was_made_from():
    code = blurhash.encode(halves((64, 32)), 4, 3)
    picture = blurhash.decode(code, 16, 8)
    left, right = picture.getpixel((1, 4)), picture.getpixel((14, 4))
    assert left[0] > 150 and left[2] < 90
    assert right[2] > 150 and right[0] < 90
    assert blurhash.data_uri(code).startswith("data:image/png;base64,")


def test_a_broken_blurhash_gives_no_placeholder():
    assert blurhash.data_uri("not a hash!") == ""
