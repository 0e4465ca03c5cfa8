"""Reading MP4 and WebM container headers without ffmpeg: which codecs, what size, how long.

Used to accept only videos that browsers play as they are when ffmpeg is not installed. Only
the headers are read (the `moov` box of an MP4, the EBML header, Info and Tracks of a WebM);
the media data is skipped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import IO

from django.utils.translation import gettext

MAX_HEADER_BYTES = 32 * 1024 * 1024  # a larger moov box or Tracks element is refused


class ContainerError(ValueError):
    """The file is not a container we can read; the message says why, for people."""


@dataclass
class VideoInfo:
    container: str  # mp4, mov, webm, mkv, gif
    video_codecs: list[str] = field(default_factory=list)
    audio_codecs: list[str] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    duration: float | None = None  # seconds


# MP4 (ISO base media file format)

_MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of every box in data[start:end]."""
    found = []
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise ContainerError(gettext("That MP4 file is cut short."))
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ContainerError(gettext("That MP4 file is damaged (a box runs past its end)."))
        found.append((kind, pos + header, pos + size))
        pos += size
    return found


def _top_level_mp4(stream: IO[bytes]) -> tuple[bytes, bytes]:
    """The ftyp payload and the moov box's payload, reading past the media data."""
    stream.seek(0, 2)
    total = stream.tell()
    stream.seek(0)
    pos, ftyp, moov = 0, b"", b""
    while pos + 8 <= total:
        stream.seek(pos)
        head = stream.read(16)
        size, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", head[8:16])[0], 16
        elif size == 0:
            size = total - pos
        if size < header or pos + size > total:
            raise ContainerError(gettext("That MP4 file is damaged or cut short."))
        if kind in (b"ftyp", b"moov"):
            if size > MAX_HEADER_BYTES:
                raise ContainerError(gettext("That MP4 file has an unusually large header."))
            stream.seek(pos + header)
            payload = stream.read(size - header)
            if kind == b"ftyp":
                ftyp = payload
            else:
                moov = payload
        pos += size
    if not ftyp:
        raise ContainerError(gettext("That file is not an MP4 video."))
    if not moov:
        raise ContainerError(gettext("That MP4 file has no index (moov box); it may be cut short."))
    return ftyp, moov


def _mp4_track(moov: bytes, start: int, end: int, info: VideoInfo) -> None:
    handler = b""
    codec = b""
    width = height = 0
    stack = [(start, end)]
    while stack:
        s, e = stack.pop()
        for kind, ps, pe in _boxes(moov, s, e):
            if kind in _MP4_CONTAINERS:
                stack.append((ps, pe))
            elif kind == b"hdlr" and pe - ps >= 12:
                handler = moov[ps + 8 : ps + 12]
            elif kind == b"stsd" and pe - ps >= 16:
                entries = _boxes(moov, ps + 8, pe)
                if entries:
                    codec, es, ee = entries[0]
                    if ee - es >= 28:
                        width, height = struct.unpack(">HH", moov[es + 24 : es + 28])
    name = codec.decode("latin-1").strip()
    if handler == b"vide":
        info.video_codecs.append(name)
        if width and height and not info.width:
            info.width, info.height = width, height
    elif handler == b"soun":
        info.audio_codecs.append(name)


def read_mp4(stream: IO[bytes]) -> VideoInfo:
    ftyp, moov = _top_level_mp4(stream)
    brand = ftyp[:4]
    info = VideoInfo(container="mov" if brand == b"qt  " else "mp4")
    for kind, ps, pe in _boxes(moov, 0, len(moov)):
        if kind == b"mvhd" and pe - ps >= 20:
            version = moov[ps]
            if version == 1 and pe - ps >= 32:
                scale, length = struct.unpack(">IQ", moov[ps + 20 : ps + 32])
            else:
                scale, length = struct.unpack(">II", moov[ps + 12 : ps + 20])
            if scale:
                info.duration = length / scale
        elif kind == b"trak":
            _mp4_track(moov, ps, pe, info)
    return info


# WebM / Matroska (EBML)

_EBML = 0x1A45DFA3
_DOCTYPE = 0x4282
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TIMECODE_SCALE = 0x2AD7B1
_DURATION = 0x4489
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_TRACK_TYPE = 0x83
_CODEC_ID = 0x86
_VIDEO = 0xE0
_PIXEL_WIDTH = 0xB0
_PIXEL_HEIGHT = 0xBA
_CLUSTER = 0x1F43B675


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """(value, new position, all value bits set) of the variable-length integer at pos."""
    if pos >= len(data):
        raise ContainerError(gettext("That WebM file is cut short."))
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise ContainerError(gettext("That WebM file is damaged."))
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, pos + length, unknown


def _elements(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    found = []
    pos = start
    while pos < end:
        ident, pos, _ = _vint(data, pos, keep_marker=True)
        size, pos, unknown = _vint(data, pos, keep_marker=False)
        stop = end if unknown else min(pos + size, end)
        found.append((ident, pos, stop))
        if unknown:
            break
        pos = stop
    return found


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


def read_webm(stream: IO[bytes]) -> VideoInfo:
    stream.seek(0)
    head = stream.read(MAX_HEADER_BYTES)
    try:
        return _read_webm(head)
    except (IndexError, struct.error) as exc:
        raise ContainerError(gettext("That WebM file is damaged.")) from exc


def _read_webm(data: bytes) -> VideoInfo:
    ident, pos, _ = _vint(data, 0, keep_marker=True)
    if ident != _EBML:
        raise ContainerError(gettext("That file is not a WebM video."))
    size, pos, _ = _vint(data, pos, keep_marker=False)
    doctype = b""
    for child, s, e in _elements(data, pos, pos + size):
        if child == _DOCTYPE:
            doctype = data[s:e].rstrip(b"\0")
    info = VideoInfo(container="webm" if doctype == b"webm" else "mkv")
    pos += size
    ident, pos, _ = _vint(data, pos, keep_marker=True)
    if ident != _SEGMENT:
        raise ContainerError(gettext("That WebM file has no segment."))
    size, pos, unknown = _vint(data, pos, keep_marker=False)
    end = len(data) if unknown else min(pos + size, len(data))
    scale, raw_duration = 1_000_000, None
    pos_in_segment = pos
    while pos_in_segment < end:
        child, pos_in_segment, _ = _vint(data, pos_in_segment, keep_marker=True)
        size, pos_in_segment, unknown = _vint(data, pos_in_segment, keep_marker=False)
        if child == _CLUSTER or unknown:
            break  # media data: every header element comes before it
        s, e = pos_in_segment, min(pos_in_segment + size, end)
        if child == _INFO:
            for item, a, b in _elements(data, s, e):
                if item == _TIMECODE_SCALE:
                    scale = _uint(data[a:b]) or scale
                elif item == _DURATION and b - a in (4, 8):
                    raw_duration = struct.unpack(">f" if b - a == 4 else ">d", data[a:b])[0]
        elif child == _TRACKS:
            for item, a, b in _elements(data, s, e):
                if item == _TRACK_ENTRY:
                    _webm_track(data, a, b, info)
        pos_in_segment += size
    if raw_duration is not None and raw_duration >= 0:
        info.duration = raw_duration * scale / 1e9
    return info


def _webm_track(data: bytes, start: int, end: int, info: VideoInfo) -> None:
    track_type, codec, width, height = 0, "", 0, 0
    for item, a, b in _elements(data, start, end):
        if item == _TRACK_TYPE:
            track_type = _uint(data[a:b])
        elif item == _CODEC_ID:
            codec = data[a:b].rstrip(b"\0").decode("ascii", "replace")
        elif item == _VIDEO:
            for sub, c, d in _elements(data, a, b):
                if sub == _PIXEL_WIDTH:
                    width = _uint(data[c:d])
                elif sub == _PIXEL_HEIGHT:
                    height = _uint(data[c:d])
    if track_type == 1:
        info.video_codecs.append(codec)
        if width and height and not info.width:
            info.width, info.height = width, height
    elif track_type == 2:
        info.audio_codecs.append(codec)


def read_container(stream: IO[bytes], container: str) -> VideoInfo:
    """Headers of an MP4/MOV (`container` "mp4" or "mov") or WebM/Matroska file."""
    try:
        if container in ("mp4", "mov"):
            return read_mp4(stream)
        return read_webm(stream)
    except struct.error as exc:
        raise ContainerError(gettext("That video file is damaged or cut short.")) from exc
