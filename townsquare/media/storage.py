"""Where attachment files live, through Django's storage API (local folder or S3-compatible).

Originals get a random name of their own. Processed files are named from the attachment's
token, the same on every run of its job: a retried job overwrites, and every file a job may
have written can be found (and removed) from the token alone.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

from townsquare.media.pictures import OUTPUT_NAMES

logger = logging.getLogger(__name__)

VIDEO_NAME = "video.mp4"
WEBM_NAME = "video.webm"  # a WebM published as uploaded (metadata removed), without ffmpeg
ALL_OUTPUT_NAMES = (*OUTPUT_NAMES, VIDEO_NAME, WEBM_NAME)


def new_token() -> str:
    return secrets.token_hex(12)


def original_path(extension: str) -> str:
    return f"attachments/originals/{secrets.token_hex(16)}.{extension}"


def output_path(token: str, name: str) -> str:
    return f"attachments/{token[:2]}/{token}-{name}"


def all_outputs(token: str) -> list[str]:
    """Every name the processing job may write for `token`."""
    return [output_path(token, name) for name in ALL_OUTPUT_NAMES] if token else []


def put(path: str, content: bytes | File[bytes]) -> str:
    """Store `content` at exactly `path`, replacing what is there."""
    if default_storage.exists(path):
        default_storage.delete(path)
    body = ContentFile(content) if isinstance(content, bytes) else content
    saved = default_storage.save(path, body)
    if saved != path:  # another writer got there between delete and save
        default_storage.delete(saved)
        raise OSError(f"could not store {path}")
    return saved


def remove(paths: Iterable[str]) -> int:
    """Delete every path that exists; return how many were deleted. Never raises for one
    file (it is logged), so one bad path does not keep the others."""
    removed = 0
    for path in dict.fromkeys(p for p in paths if p):
        try:
            if default_storage.exists(path):
                default_storage.delete(path)
                removed += 1
        except Exception:
            logger.exception("could not delete stored media file %s", path)
    return removed


def url(path: str) -> str:
    return default_storage.url(path) if path else ""
