"""Media jobs: process an upload, delete stored files, clear out never-attached uploads.

Processing is safe to run twice or after a crash: it does nothing unless the attachment is
still processing, its files have fixed names (a rerun overwrites them), and a failure marks
the attachment failed and removes every file it may have written.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks import task

from townsquare.accounts.languages import speaking_to
from townsquare.core.jobs import INTERACTIVE, enqueue, retried
from townsquare.media import processing, storage
from townsquare.media.models import MediaAttachment, Status
from townsquare.media.video import ProcessingError

logger = logging.getLogger(__name__)
GENERIC_ERROR = gettext_noop("This file could not be processed.")


def _message(exc: Exception) -> str:
    if isinstance(exc, ProcessingError):
        return str(exc)
    if isinstance(exc, ValidationError) and exc.messages:
        return exc.messages[0]
    return _(GENERIC_ERROR)


def _fail(row: MediaAttachment, exc: Exception) -> None:
    if not isinstance(exc, ProcessingError | ValidationError):
        logger.exception("processing media attachment %s failed", row.pk, exc_info=exc)
    with transaction.atomic():
        failed = MediaAttachment.objects.filter(pk=row.pk, status=Status.PROCESSING).update(
            status=Status.FAILED,
            error=_message(exc)[:300],
            original_path="",
            file_path="",
            sizes=[],
            thumbnail_path="",
            blurhash="",
        )
        gone = not failed and not MediaAttachment.objects.filter(pk=row.pk).exists()
        if failed or gone:
            enqueue(delete_files, [*storage.all_outputs(row.token), row.original_path])


@task(priority=INTERACTIVE)
@retried(storage.StorageUnavailable)
def process_attachment(attachment_id: int) -> str:
    """Make an attachment's display files; returns its status afterwards."""
    row = MediaAttachment.objects.select_related("owner").filter(pk=attachment_id).first()
    if row is None or row.status != Status.PROCESSING:
        return str(row.status) if row else "gone"
    # A failure's message is kept for the uploader to read: in their language.
    with speaking_to(row.owner):
        try:
            with tempfile.TemporaryDirectory(prefix="townsquare-media-") as folder:
                outcome = processing.process(row, Path(folder))
        except (OperationalError, InterfaceError, storage.StorageUnavailable):
            raise  # a passing database or storage problem: retried; a rerun overwrites the files
        except Exception as exc:
            _fail(row, exc)
            return Status.FAILED.value
    with transaction.atomic():
        done = MediaAttachment.objects.filter(pk=row.pk, status=Status.PROCESSING).update(
            status=Status.READY, error="", **outcome.fields
        )
        if done:
            enqueue(delete_files, [row.original_path])
        elif not done and not MediaAttachment.objects.filter(pk=row.pk).exists():
            # Deleted (its post deleted, or never attached) while we worked.
            enqueue(delete_files, [*storage.all_outputs(row.token), row.original_path])
    return Status.READY.value if done else "gone"


@task()
@retried(storage.StorageUnavailable)
def delete_files(paths: list[str]) -> int:
    """Delete stored files (of deleted or failed attachments); returns how many existed. A
    storage that fails for now: tried again later."""
    return storage.remove(paths, retry_later=True)


@task()
@retried()
def remove_orphan_uploads(older_than_seconds: int = 24 * 60 * 60) -> int:
    """Delete uploads never attached to a post within `older_than_seconds`."""
    from townsquare.media.actions import remove_orphans

    return remove_orphans(timedelta(seconds=older_than_seconds))
