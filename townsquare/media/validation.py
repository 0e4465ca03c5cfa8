"""Checking an upload before it is accepted: its type from its first bytes and by decoding it
(never from its name or the browser's word), its byte size, pixel count and, for a video, its
container, codecs and duration."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import features

from townsquare.core import words
from townsquare.media import images, video
from townsquare.media.models import Kind
from townsquare.site import features as site_features
from townsquare.site.limits import current_limits

IMAGE_TYPES = {"jpeg", "png", "gif", "webp", "avif"}
VIDEO_TYPES = {"mp4", "mov", "webm"}
EXTENSIONS = {"jpeg": "jpg", "mkv": "mkv"}
# Pillow's format names for each sniffed image type (cameras write multi-picture JPEGs: MPO).
PILLOW_FORMATS = {
    "jpeg": {"JPEG", "MPO"},
    "png": {"PNG"},
    "gif": {"GIF"},
    "webp": {"WEBP"},
    "avif": {"AVIF"},
}
MAX_GIF_FRAMES = 1000
MAX_GIF_TOTAL_PIXELS = 300_000_000  # width x height x frames
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
CHUNK = 1024 * 1024
WHAT_WE_TAKE = (
    "Upload an image (JPEG, PNG, GIF or WebP) or a video (MP4 or WebM); that file is neither."
)


@dataclass
class CheckedUpload:
    kind: str  # a Kind
    type: str  # jpeg, png, gif, webp, avif, mp4, mov, webm, mkv
    path: str  # a local copy of the bytes (deleted when the `checked` block ends)
    size: int
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.type, self.type)


def sniff(head: bytes) -> str | None:
    """The type a file's first bytes announce (to be confirmed by decoding), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in _HEIF_BRANDS:
            return "heif"
        return "mov" if brand == b"qt  " else "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def video_allowed() -> bool:
    """Whether video may be uploaded (the operator's "video" switch; animated GIFs are
    images, and stay allowed)."""
    return site_features.enabled("video")


def _refuse_video() -> ValidationError:
    return ValidationError(
        _("Video uploads are switched off on this site: attach photos instead."),
        code="video_off",
    )


def _limit_for(kind: str) -> int:
    limits = current_limits()
    return limits.video_bytes if kind in VIDEO_TYPES else limits.image_bytes


def _copy(upload: IO[bytes], target: Path) -> tuple[str, int]:
    """Copy `upload` to `target` within its type's byte limit; return (type, size)."""
    with contextlib.suppress(AttributeError, OSError):
        upload.seek(0)
    head = upload.read(64)
    if not head:
        raise ValidationError(_("That file is empty."), code="empty")
    kind = sniff(head)
    if kind == "heif":
        raise ValidationError(
            _("HEIC/HEIF photos are not supported yet: save the photo as JPEG and try again."),
            code="format",
        )
    if kind is None or (kind == "avif" and not features.check("avif")):
        if not video_allowed():
            raise ValidationError(
                _("Upload an image (JPEG, PNG, GIF or WebP); that file is not one."),
                code="format",
            )
        raise ValidationError(WHAT_WE_TAKE, code="format")
    if kind in VIDEO_TYPES and not video_allowed():
        raise _refuse_video()  # before its bytes are copied
    limit = _limit_for(kind)
    size = len(head)
    with open(target, "wb") as out:
        out.write(head)
        while chunk := upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ValidationError(
                    _("That file is too large (the limit is %(limit)s).")
                    % {"limit": images.size_text(limit)},
                    code="too_large",
                )
            out.write(chunk)
    return kind, size


def _check_image(path: Path, kind: str, size: int) -> CheckedUpload:
    data = path.read_bytes()
    formats = set().union(*PILLOW_FORMATS.values())
    image = images.open_checked(data, formats)
    if image.format not in PILLOW_FORMATS[kind]:
        raise ValidationError(_("That file is not an image we can read."), code="not_image")
    checked = CheckedUpload(Kind.IMAGE, kind, str(path), size, image.width, image.height)
    if kind == "gif":
        try:
            frames = int(getattr(image, "n_frames", 1))
        except (OSError, EOFError, ValueError) as exc:
            raise ValidationError(_("That file is not an image we can read."), code="bad") from exc
        if frames > MAX_GIF_FRAMES or frames * image.width * image.height > MAX_GIF_TOTAL_PIXELS:
            raise ValidationError(
                _(
                    "That animation is too long or too large (the limit is %(count)s frames, "
                    "fewer for large ones)."
                )
                % {"count": words.number(MAX_GIF_FRAMES)},
                code="too_big",
            )
        image.seek(0)
        if frames > 1:
            checked.kind = Kind.GIFV if video.tools() else Kind.IMAGE
    if image.format in ("JPEG", "MPO"):  # decode at 1/8 scale: the whole stream is still read
        image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
    images.load_checked(image)
    return checked


@contextlib.contextmanager
def checked(upload: IO[bytes]) -> Iterator[CheckedUpload]:
    """Validate `upload`; raise ValidationError with a message for people, or yield what it is
    with a local copy of its bytes that lives until the block ends."""
    with tempfile.TemporaryDirectory(prefix="townsquare-upload-") as folder:
        path = Path(folder) / "upload"
        kind, size = _copy(upload, path)
        if kind in IMAGE_TYPES:
            yield _check_image(path, kind, size)
            return
        with open(path, "rb") as stream:
            info = video.check_video(stream, str(path), kind)
        yield CheckedUpload(
            Kind.VIDEO, info.container, str(path), size, info.width, info.height, info.duration
        )
