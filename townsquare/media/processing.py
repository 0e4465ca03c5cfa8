"""The work of the processing job for one attachment: read its original, write its display
files through storage, and say which fields to set. The job (tasks.py) does the bookkeeping."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image

from townsquare.media import metadata, pictures, storage, video
from townsquare.media.containers import ContainerError
from townsquare.media.models import Kind, MediaAttachment
from townsquare.media.video import ProcessingError


@dataclass
class Outcome:
    fields: dict[str, Any] = field(default_factory=dict)


def _fetch(row: MediaAttachment, folder: Path) -> Path:
    """A local copy of the stored original (storage may be remote)."""
    if not row.original_path:
        raise ProcessingError(_("The uploaded file is gone."))
    local = folder / f"original.{row.original_path.rsplit('.', 1)[-1]}"
    try:
        with default_storage.open(row.original_path, "rb") as source, open(local, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
    except Exception as exc:
        if storage.missing(exc):  # the media folder's FileNotFoundError, or the bucket's 404
            raise ProcessingError(_("The uploaded file is gone.")) from exc
        if storage.passing(exc):  # the bucket unreachable or busy: the job tries again later
            raise storage.StorageUnavailable(str(exc)) from exc
        raise
    return local


def _store(row: MediaAttachment, rendered: pictures.Rendered) -> dict[str, Any]:
    sizes = []
    for output in rendered.display:
        path = storage.put(storage.output_path(row.token, output.name), output.data)
        sizes.append({"path": path, "width": output.width, "height": output.height})
    thumb = rendered.thumbnail
    return {
        "sizes": sizes,
        "thumbnail_path": storage.put(storage.output_path(row.token, thumb.name), thumb.data),
        "blurhash": rendered.blurhash,
    }


def _image(row: MediaAttachment, source: Path) -> Outcome:
    data = source.read_bytes()
    if row.original_type == "gif":
        with Image.open(source) as probe:
            animated = getattr(probe, "n_frames", 1) > 1
        if animated:
            animation, first = pictures.render_animation(data)
            fields = _store(row, first)
            path = storage.put(storage.output_path(row.token, animation.name), animation.data)
            fields["sizes"] = [{"path": path, "width": animation.width, "height": animation.height}]
            fields.update(
                kind=Kind.IMAGE, file_path=path, width=animation.width, height=animation.height
            )
            return Outcome(fields)
    rendered = pictures.render(pictures.open_display(data))
    fields = _store(row, rendered)
    largest = rendered.display[0]
    fields.update(file_path=fields["sizes"][0]["path"], width=largest.width, height=largest.height)
    return Outcome(fields)


def _as_uploaded(row: MediaAttachment, source: Path) -> Outcome:
    """A video browsers play as it is (checked at upload), published without converting it:
    its metadata (location, dates, titles, device names) removed from the local copy first."""
    try:
        metadata.strip(source, row.original_type)
    except ContainerError as exc:
        raise ProcessingError(
            _(
                "This video was not published: its hidden details (such as where it was "
                "filmed) could not be removed. %(error)s"
            )
            % {"error": exc}
        ) from exc
    name = storage.WEBM_NAME if row.original_type == "webm" else storage.VIDEO_NAME
    with open(source, "rb") as handle:
        path = storage.put(storage.output_path(row.token, name), File(handle))
    return Outcome({"file_path": path})


def _video(row: MediaAttachment, source: Path, folder: Path) -> Outcome:
    found = video.tools()
    if found is None:
        if row.kind == Kind.GIFV:  # ffmpeg went away since the upload: keep it animated
            return _image(row, source)
        if row.original_type not in video.BROWSER_VIDEO:
            raise ProcessingError(_("This server can no longer convert videos (no ffmpeg)."))
        return _as_uploaded(row, source)
    container = "gif" if row.kind == Kind.GIFV else row.original_type
    info = video.probe(found, str(source), container)
    if not info.video_codecs:
        raise ProcessingError(_("This file has no video in it."))
    converted = folder / "converted.mp4"
    video.transcode(found, str(source), str(converted), info, silent=row.kind == Kind.GIFV)
    result = video.probe(found, str(converted), "mp4")
    poster = folder / "poster.png"
    video.poster_frame(found, str(converted), str(poster), result.duration)
    with Image.open(poster) as frame:
        rendered = pictures.render(frame.convert("RGB"))
    fields = _store(row, rendered)
    with open(converted, "rb") as handle:
        path = storage.put(storage.output_path(row.token, storage.VIDEO_NAME), File(handle))
    fields.update(
        file_path=path, width=result.width, height=result.height, duration=result.duration
    )
    return Outcome(fields)


def process(row: MediaAttachment, folder: Path) -> Outcome:
    """Write every display file of `row` (working in the local `folder`); raise
    ProcessingError (or ValidationError) with a message for people when the file is bad."""
    source = _fetch(row, folder)
    outcome = _image(row, source) if row.kind == Kind.IMAGE else _video(row, source, folder)
    outcome.fields["original_path"] = ""  # the original (with its metadata) is deleted
    return outcome
