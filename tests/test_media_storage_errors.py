"""The media job when the storage fails under it: an original gone from the bucket is a clear
failure for the uploader (as a missing local file is), and an endpoint that does not answer or
is busy makes the job try again later instead of failing the upload."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from django.core.files.base import ContentFile
from django_tasks_db.models import DBTaskResult

from tests.factories import make_user, run_jobs
from tests.test_media_images import encoded, halves, media_root, upload_file
from townsquare.media import actions, processing
from townsquare.media.models import MediaAttachment, Status

pytestmark = pytest.mark.django_db
__all__ = ["media_root"]  # the autouse fixture: every test stores into its own folder


class _Failing:
    """A storage whose every read fails with `error`."""

    def __init__(self, error: Exception, exists: bool = False) -> None:
        self.error = error
        self.answer_exists = exists

    def open(self, *args: object, **kwargs: object) -> Any:
        raise self.error

    def exists(self, path: str) -> bool:
        return self.answer_exists

    def delete(self, path: str) -> None:
        raise self.error


def _upload() -> MediaAttachment:
    fern = make_user("fern")
    return actions.upload(fern, upload_file(encoded(halves((90, 60)))))


def test_an_original_gone_from_the_bucket_fails_the_upload_quietly_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    gone = ClientError(
        {
            "Error": {"Code": "404", "Message": "Not Found"},
            "ResponseMetadata": {"HTTPStatusCode": 404},
        },
        "HeadObject",
    )
    attachment = _upload()
    monkeypatch.setattr(processing, "default_storage", _Failing(gone))
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.FAILED
    assert attachment.error == "The uploaded file is gone."
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no traceback logged


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), id="unreachable"),
        pytest.param(
            ClientError(
                {"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}},
                "GetObject",
            ),
            id="busy",
        ),
    ],
)
def test_a_bucket_that_fails_for_now_makes_the_job_try_again_later(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    attachment = _upload()
    storage = processing.default_storage
    monkeypatch.setattr(processing, "default_storage", _Failing(error))
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.PROCESSING  # not failed: the upload is not lost
    retry = DBTaskResult.objects.filter(
        task_path="townsquare.media.tasks.process_attachment", status="READY"
    ).get()
    assert retry.run_after > retry.enqueued_at  # later, with backoff
    # The storage answers again: the retry makes the display files.
    monkeypatch.setattr(processing, "default_storage", storage)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=retry.enqueued_at)  # due now
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == Status.READY


def test_deleting_files_from_a_bucket_that_fails_for_now_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from townsquare.media import storage, tasks

    busy = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    storage.default_storage.save("attachments/originals/kept.jpg", ContentFile(b"x"))
    real = storage.default_storage
    monkeypatch.setattr(storage, "default_storage", _Failing(busy, exists=True))
    tasks.delete_files.enqueue(["attachments/originals/kept.jpg"])
    run_jobs()
    retry = DBTaskResult.objects.filter(
        task_path="townsquare.media.tasks.delete_files", status="READY"
    ).get()
    monkeypatch.setattr(storage, "default_storage", real)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=retry.enqueued_at)
    run_jobs()
    assert not real.exists("attachments/originals/kept.jpg")
