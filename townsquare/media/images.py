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

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from townsquare.core import words
from townsquare.core.ids import next_id
from townsquare.site.limits import current_limits

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
    """A byte count for people: "10 MB", "512 KB" (in the active language)."""
    if count >= 1024**2:
        return _("%(count)s MB") % {"count": words.number(round(count / (1024 * 1024)))}
    return _("%(count)s KB") % {"count": words.number(count // 1024)}


def pixels_text(count: int) -> str:
    if count >= 1_000_000:
        return _("%(count)s megapixels") % {"count": f"{count / 1_000_000:g}"}
    return _("%(count)s pixels") % {"count": words.number(count)}


def too_many_pixels() -> ValidationError:
    return ValidationError(
        _("That image has too many pixels. The limit is %(limit)s.")
        % {"limit": pixels_text(MAX_PIXELS)},
        code="too_many_pixels",
    )


def read_limited(upload: IO[bytes], max_bytes: int) -> bytes:
    """All of `upload`, or a ValidationError if it is larger than `max_bytes`."""
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("That file is too large (the limit is %(limit)s).") % {"limit": size_text(max_bytes)},
            code="too_large",
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
        raise ValidationError(
            _("That file is not an image we can read."), code="not_image"
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels() from exc
    if image.format not in formats:
        raise ValidationError(_("Upload a JPEG, PNG, GIF or WebP image."), code="format")
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
        raise ValidationError(
            _("That file is not an image we can read."), code="not_image"
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels() from exc
    return image


def _open_checked(upload: IO[bytes]) -> Image.Image:
    data = read_limited(upload, current_limits().image_bytes)
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


def process_within(upload: IO[bytes], folder: str, edge: int) -> str:
    """Validate, shrink to fit within `edge` x `edge` keeping the shape (logos, icons), strip
    metadata and store as PNG (they are small and often transparent); return the path."""
    image = _open_checked(upload)
    image = ImageOps.exif_transpose(image) or image
    image = image.convert("RGBA" if has_alpha(image) else "RGB")
    image.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return default_storage.save(f"{folder}/{next_id()}.png", ContentFile(out.getvalue()))
