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


class StorageUnavailable(Exception):
    """The media storage (an S3-compatible endpoint) did not answer in time, or answered that it
    is busy or failing: a passing problem, for a job to retry later."""


_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_BUSY_CODES = frozenset({"SlowDown", "RequestTimeout", "Throttling", "ServiceUnavailable"})


def missing(exc: BaseException) -> bool:
    """Whether `exc` says the stored file does not exist (locally, or in the bucket)."""
    if isinstance(exc, FileNotFoundError):
        return True
    try:
        from botocore.exceptions import ClientError
    except ImportError:  # pragma: no cover - botocore comes with the S3 support
        return False
    return isinstance(exc, ClientError) and (
        str(exc.response.get("Error", {}).get("Code", "")) in _NOT_FOUND_CODES
    )


def passing(exc: BaseException) -> bool:
    """Whether `exc` is the storage endpoint failing for now (unreachable, timed out, busy, a
    5xx), not an answer about the file: worth trying again later."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover
        return False
    if isinstance(exc, BotoCoreError):
        return True
    if not isinstance(exc, ClientError):
        return False
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return status >= 500 or code in _BUSY_CODES


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


def remove(paths: Iterable[str], *, retry_later: bool = False) -> int:
    """Delete every path that exists; return how many were deleted. One file's problem is
    logged and does not keep the others. With `retry_later`, a storage that fails for now
    (`passing`) raises StorageUnavailable once the others are done, so the job deleting them
    runs again later (it deletes only what still exists)."""
    removed = 0
    unavailable: list[str] = []
    for path in dict.fromkeys(p for p in paths if p):
        try:
            if default_storage.exists(path):
                default_storage.delete(path)
                removed += 1
        except Exception as exc:
            if passing(exc):
                unavailable.append(path)
                logger.warning("could not delete stored media file %s for now: %s", path, exc)
            else:
                logger.exception("could not delete stored media file %s", path)
    if unavailable and retry_later:
        raise StorageUnavailable(f"{len(unavailable)} file(s) not deleted yet")
    return removed


def url(path: str) -> str:
    return default_storage.url(path) if path else ""
