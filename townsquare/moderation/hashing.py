"""Hashing an uploaded image: PDQ (Meta's perceptual hash, 256 bits, through the `pdqhash`
package) of its eight rotated and mirrored forms, and MD5 and SHA-256 of its bytes.

Before PDQ, the picture is shrunk to fit 512 x 512 (PDQ reduces every image to 64 x 64 and
blurs it first, so the result barely moves, and a 12-megapixel photo hashes in a few
milliseconds instead of ~200) and uniform borders are trimmed: rows and columns on any side
whose pixels all have one colour, within a small tolerance (a frame added around a picture
must not change its hash). A PDQ hash with a quality under 50 (a nearly flat picture) says
too little to match on: it is left out, and only the exact hashes are matched.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pdqhash
from PIL import Image, ImageOps

MIN_QUALITY = 50
WORKING_EDGE = 512  # the picture is shrunk to fit this square before PDQ
BORDER_TOLERANCE = 12  # how far a border pixel's colour values may be from the border's
UNIFORM_SHARE = 0.98  # the share of a row or column's pixels that must be within it
MIN_EDGE = 8  # smaller (after trimming) is not hashed with PDQ
CHUNK = 1024 * 1024


@dataclass
class ImageHashes:
    md5: str
    sha256: str
    pdq: str = ""  # the picture as it is; "" when not hashed or of too low quality
    quality: int | None = None
    # The eight forms (as it is, rotated 90/180/270, mirrored four ways) as an 8 x 32 array of
    # bytes, for matching; empty when `pdq` is.
    forms: np.ndarray = field(default_factory=lambda: np.zeros((0, 32), dtype=np.uint8))

    @property
    def usable_pdq(self) -> bool:
        return bool(self.pdq)


def bits_to_bytes(bits: np.ndarray) -> np.ndarray:
    """pdqhash's 256 bits (most significant first) as 32 bytes, the order of the hex form."""
    return np.packbits(np.asarray(bits, dtype=np.uint8))


def to_hex(packed: np.ndarray) -> str:
    return bytes(packed).hex()


def from_hex(text: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(text), dtype=np.uint8)


def hamming(a: str, b: str) -> int:
    """The number of differing bits between two hex hashes of the same length."""
    return int(np.bitwise_count(from_hex(a) ^ from_hex(b)).sum())


def exact_hashes(path: str | Path) -> tuple[str, str]:
    """MD5 and SHA-256 of a file's bytes, read once."""
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            md5.update(chunk)
            sha256.update(chunk)
    return md5.hexdigest(), sha256.hexdigest()


def _uniform(lines: np.ndarray, tolerance: int) -> np.ndarray:
    """For each line (row) of `lines` (lines x pixels x 3), whether it is one colour: nearly
    all its pixels (allowing a few, such as a frame's blurred corner) are within `tolerance`
    of the line's median colour."""
    median = np.median(lines, axis=1).astype(np.int16)
    close = np.abs(lines - median[:, None, :]).max(axis=2) <= tolerance
    return np.asarray(close.mean(axis=1) >= UNIFORM_SHARE)


def _busy_span(lines: np.ndarray, tolerance: int) -> tuple[int, int] | None:
    """The first and past-the-last index of the lines (lines x pixels x 3) that are not
    uniform, or None when all are. Checked from each end inward, a batch at a time: most
    pictures have no border, and then only the first batch at each end is looked at."""
    count, batch = lines.shape[0], 32
    start = None
    for low in range(0, count, batch):
        busy = np.flatnonzero(~_uniform(lines[low : low + batch], tolerance))
        if busy.size:
            start = low + int(busy[0])
            break
    if start is None:
        return None
    for high in range(count, start, -batch):
        low = max(start, high - batch)
        busy = np.flatnonzero(~_uniform(lines[low:high], tolerance))
        if busy.size:
            return start, low + int(busy[-1]) + 1
    return start, start + 1


def trim_borders(pixels: np.ndarray, tolerance: int = BORDER_TOLERANCE) -> np.ndarray:
    """`pixels` (height x width x 3) without the uniform rows and columns at its edges. Each
    side may have its own colour, and a frame inside a frame goes too (its rows only become
    uniform once the outer frame's columns are gone). A uniform picture is returned whole."""
    signed = pixels.astype(np.int16)
    top, bottom, left, right = 0, signed.shape[0], 0, signed.shape[1]
    for _round in range(16):
        inner = signed[top:bottom, left:right]
        rows = _busy_span(inner, tolerance)
        if rows is None:
            break
        inner = inner[rows[0] : rows[1]]
        columns = _busy_span(inner.transpose(1, 0, 2), tolerance)
        if columns is None:
            break
        bounds = (top + rows[0], top + rows[1], left + columns[0], left + columns[1])
        if bounds == (top, bottom, left, right):
            break
        top, bottom, left, right = bounds
    return pixels[top:bottom, left:right]


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over white (what people see on a light page)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def working_pixels(image: Image.Image) -> np.ndarray:
    """The picture upright, in RGB, shrunk to fit WORKING_EDGE, borders trimmed."""
    if image.format == "JPEG":
        image.draft("RGB", (WORKING_EDGE, WORKING_EDGE))  # decode at a reduced scale
    image = ImageOps.exif_transpose(image) or image
    image = _flatten(image)
    if max(image.size) > WORKING_EDGE:
        image.thumbnail((WORKING_EDGE, WORKING_EDGE), Image.Resampling.BILINEAR)
    return trim_borders(np.asarray(image, dtype=np.uint8))


def pdq_of_pixels(pixels: np.ndarray) -> tuple[np.ndarray, int]:
    """The eight forms' PDQ hashes (8 x 32 bytes) of an RGB array, and the quality."""
    forms, quality = pdqhash.compute_dihedral(np.ascontiguousarray(pixels))
    return np.stack([bits_to_bytes(bits) for bits in forms]), int(quality)


def _pdq_into(found: ImageHashes, source: str | Path | IO[bytes]) -> ImageHashes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(source) as image:
            pixels = working_pixels(image)
    if min(pixels.shape[0], pixels.shape[1]) < MIN_EDGE:
        return found
    forms, quality = pdq_of_pixels(pixels)
    found.quality = quality
    if quality >= MIN_QUALITY:
        found.pdq = to_hex(forms[0])
        found.forms = forms
    return found


def hash_image(path: str | Path) -> ImageHashes:
    """Every hash of the image file at `path` (already checked to be an image we accept)."""
    md5, sha256 = exact_hashes(path)
    return _pdq_into(ImageHashes(md5=md5, sha256=sha256), path)


def hash_image_stream(stream: IO[bytes]) -> ImageHashes:
    """The PDQ hash of an image read from `stream` (its exact hashes are left empty: used for
    a stored display image, whose bytes are not the upload's)."""
    return _pdq_into(ImageHashes(md5="", sha256=""), stream)
