"""Profile images: decoded (never trusted by name), size-checked, EXIF stripped, resized, stored.

Decompression bombs are refused before the pixels are decoded; orientation from EXIF is
applied and then all metadata is dropped by re-encoding.
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


def _open_checked(upload: IO[bytes]) -> Image.Image:
    max_bytes = int(settings.TOWNSQUARE["MAX_UPLOAD_BYTES"])
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        limit = (
            f"{max_bytes / (1024 * 1024):.0f} MB"
            if max_bytes >= 1024**2
            else f"{max_bytes // 1024} KB"
        )
        raise ValidationError(
            f"That file is too large (the limit is {limit}).",
            code="too_large",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationError("Upload a JPEG, PNG, GIF or WebP image.", code="format")
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError("That image has too many pixels.", code="too_many_pixels")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError("That file is not an image we can read.", code="not_image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError("That image has too many pixels.", code="too_many_pixels") from exc
    return image


def process_image(upload: IO[bytes], shape: Shape) -> str:
    """Validate, crop to `shape`, strip metadata and store; return the storage path."""
    image = _open_checked(upload)
    image = ImageOps.exif_transpose(image) or image
    has_alpha = (
        image.mode in ("RGBA", "LA", "P")
        and "transparency" in image.info
        or (image.mode in ("RGBA", "LA"))
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    fitted = ImageOps.fit(image, (shape.width, shape.height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if has_alpha:
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
