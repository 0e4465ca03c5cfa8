"""Display images for attachments: oriented, in sRGB, without metadata, in two display sizes
and a thumbnail, with a blurhash; also animated GIFs kept animated (without ffmpeg)."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, ImageSequence

from townsquare.media import blurhash, images

logger = logging.getLogger(__name__)

DISPLAY_SIZES = (("large", 1600), ("medium", 800))  # name, longest edge
THUMB_EDGE = 400
JPEG_QUALITY = 85
FORMATS = frozenset({"JPEG", "MPO", "PNG", "GIF", "WEBP", "AVIF"})
OUTPUT_NAMES = tuple(
    f"{name}.{ext}" for name in ("large", "medium", "thumb") for ext in ("jpg", "png")
) + ("anim.gif",)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass
class Output:
    name: str  # a name from OUTPUT_NAMES
    data: bytes
    width: int
    height: int


@dataclass
class Rendered:
    display: list[Output]  # largest first
    thumbnail: Output
    blurhash: str

    @property
    def files(self) -> list[Output]:
        return [*self.display, self.thumbnail]


def fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """`size` scaled down (never up) so that its longest side is at most `edge`."""
    width, height = size
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        logger.info("could not read an image's colour profile; using it as sRGB")
        return image
    return converted or image


def open_display(data: bytes) -> Image.Image:
    """Decode `data` (checked again: the job trusts nothing) at no more than the resolution
    the largest display size needs, orient it, convert it to sRGB, drop all metadata."""
    image = images.open_checked(data, FORMATS)
    if image.format in ("JPEG", "MPO"):
        image.draft(image.mode, fit(image.size, DISPLAY_SIZES[0][1]))
    images.load_checked(image)
    image = ImageOps.exif_transpose(image) or image
    alpha = images.has_alpha(image)
    image = _to_srgb(image)
    image = image.convert("RGBA" if alpha else "RGB")
    image.info = {}
    return image


def _encode(image: Image.Image, name: str) -> Output:
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, "PNG", compress_level=6)
        ext = "png"
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True)
        ext = "jpg"
    return Output(f"{name}.{ext}", out.getvalue(), image.width, image.height)


def render(image: Image.Image) -> Rendered:
    """Display sizes (each only when smaller than the one before), thumbnail and blurhash of
    an opened RGB or RGBA image."""
    display: list[Output] = []
    current = image
    for name, edge in DISPLAY_SIZES:
        if display and max(current.size) <= edge:
            break
        target = fit(current.size, edge)
        if target != current.size:
            current = current.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        display.append(_encode(current, name))
    thumb = current.resize(fit(current.size, THUMB_EDGE), Image.Resampling.LANCZOS)
    return Rendered(display, _encode(thumb, "thumb"), blurhash.encode(thumb))


def render_animation(data: bytes) -> tuple[Output, Rendered]:
    """An animated GIF resized to the largest display size and encoded again (which drops its
    comments and extensions), and the rendering of its first frame."""
    image = images.open_checked(data, {"GIF"})
    box = fit(image.size, DISPLAY_SIZES[0][1])
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        rgba = frame.convert("RGBA")
        if rgba.size != box:
            rgba = rgba.resize(box, Image.Resampling.LANCZOS)
        frames.append(rgba)
        durations.append(int(frame.info.get("duration", 100)))
    out = io.BytesIO()
    frames[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        loop=0,
        duration=durations,
        disposal=2,
    )
    opaque = frames[0].getchannel("A").getextrema()[0] == 255
    first = frames[0].convert("RGB") if opaque else frames[0]
    animation = Output("anim.gif", out.getvalue(), box[0], box[1])
    return animation, render(first)
