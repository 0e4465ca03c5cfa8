"""Removing metadata (location, dates, titles, device and software names) from an MP4 or WebM
file in place, without ffmpeg and without re-encoding.

Every change keeps each byte where it was: a metadata box or element is turned into padding
of exactly its own length (an MP4 `free` box, a Matroska Void element) filled with zeros, so
chunk offsets (`stco`/`co64`), SeekHead positions and Cues stay valid and the file plays as
before. Only headers are read; the media data (MP4 `mdat`, Matroska clusters) is skipped by
seeking. A file whose structure cannot be followed raises ContainerError: it must not be
published, since its metadata may still be in it.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import IO, NamedTuple

from django.utils.translation import gettext

from townsquare.media.containers import ContainerError

CHUNK = 1024 * 1024
_ZEROS = bytes(CHUNK)


def _size_of(handle: IO[bytes]) -> int:
    handle.seek(0, 2)
    return handle.tell()


def _zero(handle: IO[bytes], start: int, end: int) -> None:
    handle.seek(start)
    while start < end:
        step = min(CHUNK, end - start)
        handle.write(_ZEROS[:step])
        start += step


# MP4 (ISO base media file format)

_MP4_DROP = {b"udta", b"meta", b"uuid"}  # user data, metadata and vendor boxes (XMP)
_MP4_PADDING = {b"free", b"skip"}  # may hold leftovers of an earlier edit
_MP4_DESCEND = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"edts"}
_MP4_TIMES = {b"mvhd", b"tkhd", b"mdhd"}  # creation and modification times
_MP4_VISUAL = {b"avc1", b"avc3", b"hvc1", b"hev1", b"vp08", b"vp09", b"av01", b"mp4v"}
_COMPRESSOR_NAME = slice(42, 74)  # in a visual sample entry's payload: often a device name


class _Box(NamedTuple):
    kind: bytes
    start: int  # of the box header
    payload: int  # of the payload
    end: int


def _mp4_boxes(handle: IO[bytes], start: int, end: int) -> list[_Box]:
    boxes = []
    pos = start
    while end - pos >= 8:
        handle.seek(pos)
        head = handle.read(16)
        size, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if size == 1:
            if len(head) < 16:
                raise ContainerError(gettext("That MP4 file is cut short."))
            size, header = struct.unpack(">Q", head[8:16])[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ContainerError(gettext("That MP4 file is damaged (a box runs past its end)."))
        boxes.append(_Box(kind, pos, pos + header, pos + size))
        pos += size
    return boxes


def _free(handle: IO[bytes], box: _Box) -> None:
    """Make `box` a `free` box of the same size (its size field kept) full of zeros."""
    handle.seek(box.start + 4)
    handle.write(b"free")
    _zero(handle, box.payload, box.end)


def _clear_times(handle: IO[bytes], box: _Box) -> None:
    handle.seek(box.payload)
    version = handle.read(1)
    width = 16 if version == b"\x01" else 8
    if box.end - box.payload >= 4 + width:
        _zero(handle, box.payload + 4, box.payload + 4 + width)


def _clear_sample_entries(handle: IO[bytes], box: _Box) -> None:
    for entry in _mp4_boxes(handle, box.payload + 8, box.end):
        if entry.kind in _MP4_VISUAL and entry.end - entry.payload >= _COMPRESSOR_NAME.stop:
            _zero(
                handle,
                entry.payload + _COMPRESSOR_NAME.start,
                entry.payload + _COMPRESSOR_NAME.stop,
            )


def _mp4_level(handle: IO[bytes], start: int, end: int) -> int:
    dropped = 0
    for box in _mp4_boxes(handle, start, end):
        if box.kind in _MP4_DROP:
            _free(handle, box)
            dropped += 1
        elif box.kind in _MP4_PADDING:
            _zero(handle, box.payload, box.end)
        elif box.kind in _MP4_TIMES:
            _clear_times(handle, box)
        elif box.kind == b"stsd":
            _clear_sample_entries(handle, box)
        elif box.kind in _MP4_DESCEND:
            dropped += _mp4_level(handle, box.payload, box.end)
    return dropped


def strip_mp4(handle: IO[bytes]) -> int:
    """Neutralize the metadata of the MP4 open in `handle` (read and write); return how many
    metadata boxes were removed. The media data (`mdat`) is never read or written."""
    total = _size_of(handle)
    dropped, has_index = 0, False
    for box in _mp4_boxes(handle, 0, total):
        if box.kind == b"moov":
            has_index = True
            dropped += _mp4_level(handle, box.payload, box.end)
        elif box.kind in _MP4_DROP:
            _free(handle, box)
            dropped += 1
        elif box.kind in _MP4_PADDING:
            _zero(handle, box.payload, box.end)
    if not has_index:
        raise ContainerError(gettext("That MP4 file has no index (moov box)."))
    return dropped


# WebM / Matroska (EBML)

_EBML = 0x1A45DFA3
_SEGMENT = 0x18538067
_SEEK_HEAD = 0x114D9B74
_SEEK = 0x4DBB
_SEEK_ID = 0x53AB
_INFO = 0x1549A966
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_CLUSTER = 0x1F43B675
_CUES = 0x1C53BB6B
_TAGS = 0x1254C367
_ATTACHMENTS = 0x1941A469
_CHAPTERS = 0x1043A770
_VOID = 0xEC
_CRC32 = 0xBF
_LEVEL_ONE = {_SEEK_HEAD, _INFO, _TRACKS, _CLUSTER, _CUES, _TAGS, _ATTACHMENTS, _CHAPTERS}
_DROPPED_WHOLE = {_TAGS, _ATTACHMENTS, _CHAPTERS}
# Info: Title, MuxingApp, WritingApp, DateUTC, SegmentFilename, PrevFilename, NextFilename.
_INFO_DROPPED = {0x7BA9, 0x4D80, 0x5741, 0x4461, 0x7384, 0x3C83AB, 0x3E83BB}
_TRACK_DROPPED = {0x536E}  # a track's Name


class _Element(NamedTuple):
    ident: int
    start: int  # of the ID
    payload: int
    end: int  # == the parent's end when the size is unknown
    unknown: bool


def _element(handle: IO[bytes], pos: int, end: int) -> _Element:
    handle.seek(pos)
    head = handle.read(min(12, end - pos))
    if not head or not head[0]:
        raise ContainerError(gettext("That WebM file is damaged."))
    id_length = 9 - head[0].bit_length()
    if id_length > 4 or len(head) <= id_length:
        raise ContainerError(gettext("That WebM file is damaged or cut short."))
    ident = int.from_bytes(head[:id_length], "big")
    first = head[id_length]
    if not first:
        raise ContainerError(gettext("That WebM file is damaged."))
    size_length = 9 - first.bit_length()
    if len(head) < id_length + size_length:
        raise ContainerError(gettext("That WebM file is cut short."))
    size = int.from_bytes(head[id_length : id_length + size_length], "big")
    size &= (1 << (7 * size_length)) - 1  # drop the length marker
    payload = pos + id_length + size_length
    if size == (1 << (7 * size_length)) - 1:
        return _Element(ident, pos, payload, end, True)
    return _Element(ident, pos, payload, payload + size, False)


def _children(handle: IO[bytes], start: int, end: int) -> list[_Element]:
    found = []
    pos = start
    while pos < end:
        child = _element(handle, pos, end)
        if child.unknown or child.end > end:
            raise ContainerError(
                gettext("That WebM file is damaged (an element runs past its end).")
            )
        found.append(child)
        pos = child.end
    return found


def void_header(total: int) -> bytes:
    """The ID and size of a Void element `total` bytes long in all (at least 2)."""
    for length in range(1, 9):
        payload = total - 1 - length
        if 0 <= payload < (1 << (7 * length)) - 1:  # all ones means "unknown size"
            return bytes([_VOID]) + ((1 << (7 * length)) | payload).to_bytes(length, "big")
    raise ContainerError(gettext("That WebM file has an element too large to clear."))


def _void(handle: IO[bytes], start: int, end: int) -> None:
    """Overwrite bytes start..end with a Void element of exactly that length, zeros inside."""
    header = void_header(end - start)
    handle.seek(start)
    handle.write(header)
    _zero(handle, start + len(header), end)


def _void_children(handle: IO[bytes], parent: _Element, idents: set[int]) -> tuple[int, bool]:
    """Void the children of `parent` with these IDs (and old Voids); return how many were
    removed and whether anything changed. A CRC-32 of the parent no longer matching is voided."""
    dropped, changed, crc = 0, False, None
    for child in _children(handle, parent.payload, parent.end):
        if child.ident in idents:
            _void(handle, child.start, child.end)
            dropped += 1
            changed = True
        elif child.ident == _VOID:
            _void(handle, child.start, child.end)
            changed = True
        elif child.ident == _CRC32:
            crc = child
    if changed and crc is not None:
        _void(handle, crc.start, crc.end)
    return dropped, changed


def _clear_tracks(handle: IO[bytes], tracks: _Element) -> int:
    dropped, changed, crc = 0, False, None
    for entry in _children(handle, tracks.payload, tracks.end):
        if entry.ident == _TRACK_ENTRY:
            removed, touched = _void_children(handle, entry, _TRACK_DROPPED)
            dropped, changed = dropped + removed, changed or touched
        elif entry.ident == _CRC32:
            crc = entry
    if changed and crc is not None:
        _void(handle, crc.start, crc.end)
    return dropped


def _cluster_end(handle: IO[bytes], start: int, end: int) -> int:
    """Where a cluster of unknown size ends: at the next top-level element."""
    pos = start
    while pos < end:
        child = _element(handle, pos, end)
        if child.ident in _LEVEL_ONE or child.ident in (_EBML, _SEGMENT) or child.unknown:
            return pos
        pos = child.end
    return end


def _forget_seeks(handle: IO[bytes], seek_head: _Element, dropped: set[int]) -> None:
    """Void the SeekHead entries that point at removed elements."""
    changed, crc = False, None
    for seek in _children(handle, seek_head.payload, seek_head.end):
        if seek.ident == _CRC32:
            crc = seek
        if seek.ident != _SEEK:
            continue
        for item in _children(handle, seek.payload, seek.end):
            if item.ident == _SEEK_ID:
                handle.seek(item.payload)
                if int.from_bytes(handle.read(item.end - item.payload), "big") in dropped:
                    _void(handle, seek.start, seek.end)
                    changed = True
                break
    if changed and crc is not None:
        _void(handle, crc.start, crc.end)


def _segment(handle: IO[bytes], start: int, end: int) -> int:
    dropped: set[int] = set()
    count = 0
    seek_heads: list[_Element] = []
    pos = start
    while pos < end:
        element = _element(handle, pos, end)
        if element.ident == _CLUSTER:
            if element.unknown:
                element = element._replace(end=_cluster_end(handle, element.payload, end))
            elif element.end > end:
                break  # the last cluster is cut short: nothing follows it
        elif element.unknown or element.end > end:
            raise ContainerError(gettext("That WebM file is damaged or cut short."))
        if element.ident in _DROPPED_WHOLE:
            _void(handle, element.start, element.end)
            dropped.add(element.ident)
            count += 1
        elif element.ident == _VOID:
            _void(handle, element.start, element.end)
        elif element.ident == _INFO:
            count += _void_children(handle, element, _INFO_DROPPED)[0]
        elif element.ident == _TRACKS:
            count += _clear_tracks(handle, element)
        elif element.ident == _SEEK_HEAD:
            seek_heads.append(element)
        pos = element.end
    for seek_head in seek_heads:
        _forget_seeks(handle, seek_head, dropped)
    return count


def strip_webm(handle: IO[bytes]) -> int:
    """Neutralize the metadata of the WebM/Matroska file open in `handle` (read and write):
    Tags, Attachments, Chapters, the Info title, dates and application names, track names.
    Return how many elements were removed."""
    total = _size_of(handle)
    if total < 4 or _element(handle, 0, total).ident != _EBML:
        raise ContainerError(gettext("That file is not a WebM video."))
    count, segments, pos = 0, 0, 0
    while pos < total:
        element = _element(handle, pos, total)
        if element.ident == _SEGMENT:
            segments += 1
            count += _segment(handle, element.payload, min(element.end, total))
            if element.unknown:
                break
        elif element.unknown or element.end > total:
            raise ContainerError(gettext("That WebM file is damaged or cut short."))
        pos = element.end
    if not segments:
        raise ContainerError(gettext("That WebM file has no segment."))
    return count


def strip(path: str | Path, container: str) -> int:
    """Remove the metadata of the MP4 ("mp4", "mov") or WebM ("webm", "mkv") file at `path`,
    rewriting it in place; raise ContainerError when its structure cannot be followed."""
    with open(path, "r+b") as handle:
        try:
            return strip_mp4(handle) if container in ("mp4", "mov") else strip_webm(handle)
        except struct.error as exc:
            raise ContainerError(gettext("That video file is damaged or cut short.")) from exc
