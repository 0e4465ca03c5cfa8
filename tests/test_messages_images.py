"""Images in direct messages: sent from the conversation page, shown to the participants,
never taken by a post or removed as an abandoned upload, and deleted with an unsent message."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import text_of
from tests.factories import follow, make_post, make_user, run_jobs
from tests.test_media_images import encoded, halves, media_root, stored_files, upload_file
from townsquare.media import actions as media_actions
from townsquare.media.models import Kind, MediaAttachment
from townsquare.messaging import actions

pytestmark = pytest.mark.django_db
__all__ = ["media_root"]  # the autouse fixture: every test stores into its own folder


def _jpeg() -> object:
    return upload_file(encoded(halves((80, 60))))


def test_an_image_sent_from_the_page_shows_to_the_other_participant(media_root: Path) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)
    first = actions.start_conversation(ana, [sam], "Here is the shed plan")
    url = f"/messages/{first.conversation_id}"
    web = Client()
    web.force_login(ana)
    sent = web.post(f"{url}/send", {"text": "", "images": [_jpeg(), _jpeg()]})
    assert sent.status_code == 302
    run_jobs()
    image = MediaAttachment.objects.filter(message__isnull=False).order_by("position").first()
    assert image is not None and image.message_id is not None
    assert MediaAttachment.objects.filter(message_id=image.message_id).count() == 2
    reader = Client()
    reader.force_login(sam)
    page = text_of(reader.get(url))
    assert image.file_path and image.file_path in page
    assert "media-gallery media-count-2" in page
    assert "Sent images" in text_of(reader.get("/messages"))


def test_a_video_or_too_many_images_are_refused_and_leave_nothing(media_root: Path) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)
    video = MediaAttachment.objects.create(owner=ana, kind=Kind.VIDEO, token="cd" * 12)
    with pytest.raises(ValidationError, match="images, not video"):
        actions.start_conversation(ana, [sam], "A clip", media_ids=[video.pk])
    web = Client()
    web.force_login(ana)
    five = web.post(
        "/messages/new", {"to": "sam", "text": "", "images": [_jpeg() for _ in range(5)]}
    )
    assert five.status_code == 400
    assert "A message can have at most 4 images" in text_of(five)
    assert not MediaAttachment.objects.filter(kind=Kind.IMAGE).exists()  # uploads discarded
    empty = web.post("/messages/new", {"to": "sam", "text": ""})
    assert empty.status_code == 400 and "Write a message first" in text_of(empty)


def test_a_message_image_is_neither_taken_by_a_post_nor_removed_as_abandoned(
    media_root: Path,
) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)
    upload = media_actions.upload(ana, _jpeg())
    actions.start_conversation(ana, [sam], "Seed packet photo", media_ids=[upload.pk])
    with pytest.raises(ValidationError):
        media_actions.attach(ana, make_post(ana, "Stealing the image"), [upload.pk])
    MediaAttachment.objects.filter(pk=upload.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    assert media_actions.remove_orphans(timedelta(days=1)) == 0
    assert MediaAttachment.objects.filter(pk=upload.pk, message__isnull=False).exists()


def test_unsending_deletes_the_images_and_their_files(media_root: Path) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)
    upload = media_actions.upload(ana, _jpeg())
    run_jobs()
    message = actions.start_conversation(ana, [sam], "", media_ids=[upload.pk])
    assert stored_files(media_root)
    actions.unsend(ana, message.pk)
    run_jobs()
    assert not MediaAttachment.objects.exists()
    assert stored_files(media_root) == []
