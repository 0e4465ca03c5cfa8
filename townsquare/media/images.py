"""Images: decoded (never trusted by name), size-checked, EXIF stripped, resized, stored.

Decompression bombs are refused before the pixels are decoded; orientation from EXIF is
applied and then all metadata is dropped by re-encoding. Profile images (avatars, headers) use
`process_image`; post attachments share the checks here and are rendered by `attachments.py`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

from townsquare.core.ids import next_id

MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


@dataclass(frozen=True)
class Shape:
    name: str
    width: int
    height: int


AVATAR = Shape("avatars", 400, 400)
HEADER = Shape("headers", 1500, 500)


def size_text(count: int) -> str:
    """A byte count for people: "10 MB", "512 KB"."""
    if count >= 1024**2:
        return f"{count / (1024 * 1024):.0f} MB"
    return f"{count // 1024} KB"


def pixels_text(count: int) -> str:
    return f"{count / 1_000_000:g} megapixels" if count >= 1_000_000 else f"{count:,} pixels"


def too_many_pixels() -> ValidationError:
    return ValidationError(
        f"That image has too many pixels. The limit is {pixels_text(MAX_PIXELS)}.",
        code="too_many_pixels",
    )


def read_limited(upload: IO[bytes], max_bytes: int) -> bytes:
    """All of `upload`, or a ValidationError if it is larger than `max_bytes`."""
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            f"That file is too large (the limit is {size_text(max_bytes)}).", code="too_large"
        )
    return data


def open_checked(
    data: bytes, formats: set[str] | frozenset[str] = frozenset(ACCEPTED_FORMATS)
) -> Image.Image:
    """Open `data` as an image of one of `formats` within MAX_PIXELS, without decoding it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError("That file is not an image we can read.", code="not_image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels() from exc
    if image.format not in formats:
        raise ValidationError("Upload a JPEG, PNG, GIF or WebP image.", code="format")
    if image.width * image.height > MAX_PIXELS:
        raise too_many_pixels()
    return image


def load_checked(image: Image.Image) -> Image.Image:
    """Decode every pixel of an opened image: a truncated or corrupt file fails here."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError("That file is not an image we can read.", code="not_image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels() from exc
    return image


def _open_checked(upload: IO[bytes]) -> Image.Image:
    data = read_limited(upload, int(settings.TOWNSQUARE["MAX_UPLOAD_BYTES"]))
    return load_checked(open_checked(data))


def has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA"):
        return True
    return image.mode in ("P", "L", "RGB") and "transparency" in image.info


def process_image(upload: IO[bytes], shape: Shape) -> str:
    """Validate, crop to `shape`, strip metadata and store; return the storage path."""
    image = _open_checked(upload)
    image = ImageOps.exif_transpose(image) or image
    alpha = has_alpha(image)
    image = image.convert("RGBA" if alpha else "RGB")
    fitted = ImageOps.fit(image, (shape.width, shape.height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if alpha:
        fitted.save(out, "PNG", optimize=True)
        extension = "png"
    else:
        fitted.save(out, "JPEG", quality=85, optimize=True, progressive=True)
        extension = "jpg"
    path = f"{shape.name}/{next_id()}.{extension}"
    return default_storage.save(path, ContentFile(out.getvalue()))


def delete_image(path: str) -> None:
    if path:
        default_storage.delete(path)
