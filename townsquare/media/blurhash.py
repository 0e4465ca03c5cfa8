"""BlurHash (https://blurha.sh): a short string describing a blurred image, shown while the
real image loads. Encoded from a small downscaled copy, so it costs a few milliseconds.
"""

from __future__ import annotations

import base64
import functools
import io
import math

from PIL import Image

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_INDEX = {char: i for i, char in enumerate(ALPHABET)}
SAMPLE_EDGE = 32  # the image is shrunk to at most this many pixels a side before encoding


class BlurhashError(ValueError):
    """Not a valid blurhash string."""


def _base83(value: int, length: int) -> str:
    return "".join(ALPHABET[(value // 83 ** (length - i - 1)) % 83] for i in range(length))


def _unbase83(text: str) -> int:
    value = 0
    for char in text:
        if char not in _INDEX:
            raise BlurhashError(f"not a base-83 character: {char!r}")
        value = value * 83 + _INDEX[char]
    return value


_TO_LINEAR = [
    (v / 255) / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4
    for v in range(256)
]


def _to_srgb(value: float) -> int:
    v = min(max(value, 0.0), 1.0)
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exponent: float) -> float:
    return math.copysign(abs(value) ** exponent, value)


def encode(image: Image.Image, x_components: int = 4, y_components: int = 3) -> str:
    """The blurhash of `image` (any mode; transparency is ignored)."""
    if not (1 <= x_components <= 9 and 1 <= y_components <= 9):
        raise ValueError("blurhash components must be between 1 and 9")
    small = image.convert("RGB")
    if max(small.size) > SAMPLE_EDGE:
        small.thumbnail((SAMPLE_EDGE, SAMPLE_EDGE), Image.Resampling.BILINEAR)
    width, height = small.size
    raw = small.tobytes()
    linear = [_TO_LINEAR[b] for b in raw]
    reds, greens, blues = linear[0::3], linear[1::3], linear[2::3]
    cos_x = [[math.cos(math.pi * i * x / width) for x in range(width)] for i in range(x_components)]
    cos_y = [
        [math.cos(math.pi * j * y / height) for y in range(height)] for j in range(y_components)
    ]
    factors: list[tuple[float, float, float]] = []
    for j in range(y_components):
        for i in range(x_components):
            norm = (1.0 if i == 0 and j == 0 else 2.0) / (width * height)
            r = g = b = 0.0
            for y in range(height):
                cy = cos_y[j][y]
                row = y * width
                for x in range(width):
                    basis = cos_x[i][x] * cy
                    r += basis * reds[row + x]
                    g += basis * greens[row + x]
                    b += basis * blues[row + x]
            factors.append((r * norm, g * norm, b * norm))

    dc, ac = factors[0], factors[1:]
    result = _base83((x_components - 1) + (y_components - 1) * 9, 1)
    if ac:
        actual_max = max(abs(c) for f in ac for c in f)
        quantised_max = int(max(0, min(82, math.floor(actual_max * 166 - 0.5))))
        maximum = (quantised_max + 1) / 166
        result += _base83(quantised_max, 1)
    else:
        maximum = 1.0
        result += _base83(0, 1)
    result += _base83((_to_srgb(dc[0]) << 16) + (_to_srgb(dc[1]) << 8) + _to_srgb(dc[2]), 4)
    for factor in ac:
        q = [
            int(max(0, min(18, math.floor(_sign_pow(c / maximum, 0.5) * 9 + 9.5)))) for c in factor
        ]
        result += _base83(q[0] * 19 * 19 + q[1] * 19 + q[2], 2)
    return result


def decode(blurhash: str, width: int, height: int, punch: float = 1.0) -> Image.Image:
    """A `width` x `height` RGB image drawn from `blurhash`."""
    if len(blurhash) < 6:
        raise BlurhashError("a blurhash has at least 6 characters")
    size_flag = _unbase83(blurhash[0])
    y_components, x_components = size_flag // 9 + 1, size_flag % 9 + 1
    if len(blurhash) != 4 + 2 * x_components * y_components:
        raise BlurhashError("blurhash length does not match its component count")
    maximum = (_unbase83(blurhash[1]) + 1) / 166 * punch
    dc = _unbase83(blurhash[2:6])
    colors = [(_TO_LINEAR[dc >> 16], _TO_LINEAR[(dc >> 8) & 255], _TO_LINEAR[dc & 255])]
    for k in range(1, x_components * y_components):
        value = _unbase83(blurhash[4 + k * 2 : 6 + k * 2])
        quant = (value // (19 * 19), (value // 19) % 19, value % 19)
        colors.append(tuple(_sign_pow((q - 9) / 9, 2.0) * maximum for q in quant))  # type: ignore[arg-type]

    cos_x = [[math.cos(math.pi * x * i / width) for i in range(x_components)] for x in range(width)]
    cos_y = [
        [math.cos(math.pi * y * j / height) for j in range(y_components)] for y in range(height)
    ]
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            r = g = b = 0.0
            for j in range(y_components):
                for i in range(x_components):
                    basis = cos_x[x][i] * cos_y[y][j]
                    color = colors[i + j * x_components]
                    r += color[0] * basis
                    g += color[1] * basis
                    b += color[2] * basis
            pixels += bytes((_to_srgb(r), _to_srgb(g), _to_srgb(b)))
    return Image.frombytes("RGB", (width, height), bytes(pixels))


@functools.lru_cache(maxsize=2048)
def data_uri(blurhash: str, width: int = 16, height: int = 16) -> str:
    """A tiny PNG of `blurhash` as a data: URI (for a CSS background), or "" if it is invalid."""
    try:
        image = decode(blurhash, width, height)
    except BlurhashError:
        return ""
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
