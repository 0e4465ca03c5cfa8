"""Video through ffmpeg when it is installed; header checks alone when it is not.

With ffmpeg (settings.TOWNSQUARE["FFMPEG_PATH"], a name on PATH or a full path, and ffprobe
beside it) every video and animated GIF is converted to H.264 MP4 with a poster frame. Without
it only MP4 (H.264, AAC) and WebM (VP8, VP9, AV1) that browsers play as they are get in.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess  # noqa: S404 - fixed argument lists, never a shell
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from townsquare.media.containers import ContainerError, VideoInfo, read_container

MAX_VIDEO_PIXELS = 4096 * 4096
DISPLAY_EDGE = 1920  # the longest side of a converted video
PROBE_SECONDS = 30
BROWSER_VIDEO = {"mp4": {"avc1", "avc3"}, "webm": {"V_VP8", "V_VP9", "V_AV1"}}
BROWSER_AUDIO = {"mp4": {"mp4a"}, "webm": {"A_VORBIS", "A_OPUS"}}
# ffmpeg's demuxer for each sniffed type: forced, so a file is never read as a playlist.
DEMUXERS = {"mp4": "mov", "mov": "mov", "webm": "matroska", "mkv": "matroska", "gif": "gif"}


class ProcessingError(Exception):
    """ffmpeg could not convert a file; the message is for people."""


@dataclass(frozen=True)
class Tools:
    ffmpeg: str
    ffprobe: str


def _configured() -> str:
    return str(settings.TOWNSQUARE.get("FFMPEG_PATH") or "ffmpeg")


# Why ffmpeg cannot be used, for the operator (the dashboard, `townsquare check`): kept as a
# key and its values by the cached inspection, and translated when shown.
_PROBLEMS = {
    "missing": gettext_noop(
        "ffmpeg was not found at %(path)s (TOWNSQUARE_FFMPEG_PATH): videos are accepted only "
        "as MP4 (H.264/AAC) or WebM (VP8/VP9/AV1) and are not converted, and GIFs stay "
        "animated images. Install ffmpeg to convert them."
    ),
    "no_ffprobe": gettext_noop(
        "ffprobe was not found beside %(path)s: install ffmpeg's ffprobe to convert videos."
    ),
    "broken": gettext_noop(
        "ffmpeg at %(path)s does not run (%(error)s); videos will not be converted."
    ),
    "no_x264": gettext_noop(
        "ffmpeg at %(path)s has no H.264 encoder (libx264); videos will not be converted."
    ),
}


@functools.lru_cache(maxsize=8)
def _inspect(configured: str) -> Tools | tuple[str, dict[str, str]]:
    ffmpeg = shutil.which(configured)
    if ffmpeg is None:
        return "missing", {"path": repr(configured)}
    beside = Path(ffmpeg).with_name("ffprobe" + Path(ffmpeg).suffix)
    ffprobe = str(beside) if beside.is_file() else shutil.which("ffprobe")
    if ffprobe is None:
        return "no_ffprobe", {"path": ffmpeg}
    try:
        encoders = subprocess.run(  # noqa: S603
            [ffmpeg, "-hide_banner", "-encoders"],
            capture_output=True,
            timeout=PROBE_SECONDS,
            check=True,
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError) as exc:
        return "broken", {"path": ffmpeg, "error": str(exc)}
    if "libx264" not in encoders:
        return "no_x264", {"path": ffmpeg}
    return Tools(ffmpeg=ffmpeg, ffprobe=ffprobe)


def tools() -> Tools | None:
    """ffmpeg and ffprobe when they are installed and usable, else None."""
    found = _inspect(_configured())
    return found if isinstance(found, Tools) else None


def ffmpeg_status() -> str | None:
    """None when ffmpeg is usable; otherwise one line for the operator saying why not."""
    found = _inspect(_configured())
    if isinstance(found, Tools):
        return None
    code, values = found
    return _(_PROBLEMS[code]) % values


def _run(args: list[str], timeout: float) -> bytes:
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise ProcessingError(_("Converting this file took too long.")) from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
        raise ProcessingError(
            _("This file could not be converted (%(detail)s).") % {"detail": detail[0][:120]}
        )
    return done.stdout


def probe(found: Tools, path: str, container: str) -> VideoInfo:
    """Codecs, size and duration as ffprobe reads them."""
    out = _run(
        [
            found.ffprobe,
            *("-v", "error", "-protocol_whitelist", "file", "-f", DEMUXERS[container]),
            "-show_entries",
            "format=duration:stream=codec_type,codec_name,width,height"
            ":stream_disposition=attached_pic:stream_side_data=rotation",
            *("-of", "json", path),
        ],
        PROBE_SECONDS,
    )
    data = json.loads(out or b"{}")
    info = VideoInfo(container=container)
    for stream in data.get("streams", []):
        if stream.get("codec_type") == "video":
            if (stream.get("disposition") or {}).get("attached_pic"):
                continue  # cover art, not video
            info.video_codecs.append(str(stream.get("codec_name", "")))
            if info.width is None and stream.get("width"):
                info.width, info.height = int(stream["width"]), int(stream["height"])
                rotation = [s.get("rotation") for s in stream.get("side_data_list", [])]
                if any(r in (90, -90, 270, -270) for r in rotation):
                    info.width, info.height = info.height, info.width
        elif stream.get("codec_type") == "audio":
            info.audio_codecs.append(str(stream.get("codec_name", "")))
    try:
        info.duration = float(data.get("format", {}).get("duration"))
    except (TypeError, ValueError):
        info.duration = None
    return info


def _limits(info: VideoInfo) -> None:
    max_seconds = int(settings.TOWNSQUARE["MAX_VIDEO_SECONDS"])
    if not info.video_codecs:
        raise ValidationError(_("That file has no video in it."), code="no_video")
    if info.duration is None:
        raise ValidationError(_("We could not tell how long that video is."), code="duration")
    if info.duration > max_seconds:
        seconds = round(info.duration)
        raise ValidationError(
            ngettext(
                "That video is too long (%(seconds)d second; the limit is %(limit)s).",
                "That video is too long (%(seconds)d seconds; the limit is %(limit)s).",
                seconds,
            )
            % {
                "seconds": seconds,
                "limit": ngettext("%(count)d second", "%(count)d seconds", max_seconds)
                % {"count": max_seconds},
            },
            code="too_long",
        )
    if info.width and info.height and info.width * info.height > MAX_VIDEO_PIXELS:
        raise ValidationError(
            _("That video is too large (%(width)d x %(height)d pixels).")
            % {"width": info.width, "height": info.height},
            code="too_big",
        )


def check_video(stream: IO[bytes], path: str, container: str) -> VideoInfo:
    """Validate a stored-to-disk upload of a sniffed `container`; return what it holds."""
    found = tools()
    if found is not None:
        try:
            info = probe(found, path, container)
        except ProcessingError as exc:
            raise ValidationError(_("That file is not a video we can read."), code="bad") from exc
        _limits(info)
        return info
    no_ffmpeg = _(
        "This server cannot convert videos (ffmpeg is not installed), so it accepts only MP4 "
        "with H.264 video and AAC audio, or WebM with VP8, VP9 or AV1 video."
    )
    if container not in BROWSER_VIDEO:
        raise ValidationError(no_ffmpeg, code="needs_ffmpeg")
    try:
        info = read_container(stream, container)
    except ContainerError as exc:
        raise ValidationError(str(exc), code="bad") from exc
    if info.container not in BROWSER_VIDEO:
        raise ValidationError(no_ffmpeg, code="needs_ffmpeg")
    codecs = BROWSER_VIDEO[info.container]
    if any(codec not in codecs for codec in info.video_codecs) or any(
        codec not in BROWSER_AUDIO[info.container] for codec in info.audio_codecs
    ):
        used = ", ".join(info.video_codecs + info.audio_codecs) or "unknown"
        raise ValidationError(
            _(
                "This server cannot convert videos (ffmpeg is not installed), so it accepts only "
                "MP4 with H.264 video and AAC audio, or WebM with VP8, VP9 or AV1 video. This one "
                "uses %(codecs)s."
            )
            % {"codecs": used},
            code="needs_ffmpeg",
        )
    _limits(info)
    return info


def _even_box(info: VideoInfo) -> int:
    longest = max(info.width or DISPLAY_EDGE, info.height or DISPLAY_EDGE)
    return max(2, min(DISPLAY_EDGE, longest) // 2 * 2)


def transcode(found: Tools, source: str, target: str, info: VideoInfo, *, silent: bool) -> None:
    """Convert `source` to H.264 MP4 at `target` (no metadata, at most DISPLAY_EDGE a side)."""
    box = _even_box(info)
    max_seconds = int(settings.TOWNSQUARE["MAX_VIDEO_SECONDS"])
    scale = (
        f"scale=w={box}:h={box}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
        "format=yuv420p"
    )
    audio = ["-an"] if silent else ["-map", "0:a:0?", "-c:a", "aac", "-b:a", "128k"]
    args = [
        found.ffmpeg,
        *("-nostdin", "-y", "-v", "error", "-protocol_whitelist", "file"),
        *("-f", DEMUXERS[info.container], "-i", source),
        *("-map", "0:v:0", *audio, "-vf", scale, "-c:v", "libx264", "-preset", "veryfast"),
        *("-crf", "23", "-profile:v", "high", "-movflags", "+faststart"),
        *("-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn"),
        *("-t", str(max_seconds), "-f", "mp4", target),
    ]
    _run(args, 60 + 8 * (info.duration or max_seconds))
    if not os.path.getsize(target):
        raise ProcessingError(_("Converting this file produced nothing."))


def poster_frame(found: Tools, video: str, target: str, duration: float | None) -> None:
    """Write one frame of the converted `video` as a PNG at `target`."""
    at = min(1.0, (duration or 0) / 3)
    _run(
        [
            found.ffmpeg,
            *("-nostdin", "-y", "-v", "error", "-protocol_whitelist", "file"),
            *("-ss", f"{at:.3f}", "-f", "mp4", "-i", video, "-frames:v", "1"),
            *("-f", "image2", "-c:v", "png", target),
        ],
        PROBE_SECONDS * 2,
    )
