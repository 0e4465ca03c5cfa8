"""Attachments and posts: which uploads a post may take, reading them back in order, alt text,
how a gallery is shown, and files removed with their posts or when never used."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tests.factories import make_post, make_user, run_jobs
from tests.stored import url_prefix
from tests.test_media_images import encoded, halves, media_root, stored_files, upload_file
from townsquare.accounts.models import User
from townsquare.media import actions
from townsquare.media.models import Kind, MediaAttachment, Status
from townsquare.media.queries import attachments_for
from townsquare.media.render import gallery_html

pytestmark = pytest.mark.django_db
__all__ = ["media_root"]  # the autouse fixture: every test stores into its own folder


def image_upload(owner: User, **kwargs: str) -> MediaAttachment:
    return actions.upload(owner, upload_file(encoded(halves((80, 60)))), **kwargs)


def video_like(owner: User, kind: str = Kind.VIDEO) -> MediaAttachment:
    """An uploaded video's row (its file does not matter to the attach rules)."""
    return MediaAttachment.objects.create(owner=owner, kind=kind, token="ab" * 12)


# Attach rules


def test_a_post_takes_up_to_four_images_in_the_order_given(fern: User):
    uploads = [image_upload(fern) for _ in range(4)]
    post = make_post(fern, "Four beds, four crops.")
    order = [uploads[2].pk, uploads[0].pk, uploads[3].pk, uploads[1].pk]
    actions.attach(fern, post, order)
    found = attachments_for([post.pk])[post.pk]
    assert [a.pk for a in found] == order
    assert [a.position for a in found] == [0, 1, 2, 3]


def test_a_fifth_image_is_refused(fern: User):
    uploads = [image_upload(fern) for _ in range(5)]
    post = make_post(fern)
    with pytest.raises(ValidationError) as caught:
        actions.attach(fern, post, [u.pk for u in uploads])
    assert caught.value.message_dict == {"media": ["A post can have at most 4 images."]}
    assert not MediaAttachment.objects.filter(post=post).exists()


def test_the_image_limit_is_a_setting(fern: User, settings):
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "MAX_MEDIA_PER_POST": 2}
    uploads = [image_upload(fern) for _ in range(3)]
    post = make_post(fern)
    with pytest.raises(ValidationError, match="at most 2 images"):
        actions.attach(fern, post, [u.pk for u in uploads])
    actions.attach(fern, post, [u.pk for u in uploads[:2]])
    assert MediaAttachment.objects.filter(post=post).count() == 2


@pytest.mark.parametrize("kind", [Kind.VIDEO, Kind.GIFV])
def test_a_video_and_an_image_together_are_refused(fern: User, kind: str):
    clip, picture = video_like(fern, kind), image_upload(fern)
    post = make_post(fern)
    with pytest.raises(ValidationError) as caught:
        actions.attach(fern, post, [clip.pk, picture.pk])
    assert caught.value.message_dict == {
        "media": ["A post can have one video, or up to 4 images, not both."]
    }
    with pytest.raises(ValidationError):
        actions.attach(fern, post, [clip.pk, video_like(fern).pk])
    actions.attach(fern, post, [clip.pk])
    assert [a.pk for a in attachments_for([post.pk])[post.pk]] == [clip.pk]


def test_someone_elses_upload_is_refused(fern: User):
    rook = make_user("rook")
    theirs = image_upload(rook)
    post = make_post(fern)
    with pytest.raises(ValidationError) as caught:
        actions.attach(fern, post, [image_upload(fern).pk, theirs.pk])
    assert "not your uploads" in caught.value.message_dict["media"][0]
    theirs.refresh_from_db()
    assert theirs.post_id is None
    assert not MediaAttachment.objects.filter(post=post).exists()


def test_an_upload_already_in_a_post_is_refused(fern: User):
    picture = image_upload(fern)
    first, second = make_post(fern), make_post(fern, "Again.")
    actions.attach(fern, first, [picture.pk])
    with pytest.raises(ValidationError, match="already in a post"):
        actions.attach(fern, second, [picture.pk])
    picture.refresh_from_db()
    assert picture.post_id == first.pk


def test_media_cannot_be_added_to_someone_elses_post(fern: User):
    rook = make_user("rook")
    with pytest.raises(PermissionDenied):
        actions.attach(fern, make_post(rook), [image_upload(fern).pk])


def test_a_failed_upload_cannot_be_attached(fern: User):
    picture = image_upload(fern)
    MediaAttachment.objects.filter(pk=picture.pk).update(status=Status.FAILED)
    with pytest.raises(ValidationError, match="could not be processed"):
        actions.attach(fern, make_post(fern), [picture.pk])


def test_nonsense_ids_are_refused(fern: User):
    with pytest.raises(ValidationError):
        actions.attach(fern, make_post(fern), ["a garden"])  # type: ignore[list-item]


# Reading


def test_attachments_of_many_posts_come_in_one_query(fern: User, django_assert_num_queries):
    posts = [make_post(fern, f"Bed {i}.") for i in range(3)]
    for post in posts[:2]:
        actions.attach(fern, post, [image_upload(fern).pk, image_upload(fern).pk])
    with django_assert_num_queries(1):
        found = attachments_for([p.pk for p in posts])
    assert set(found) == {posts[0].pk, posts[1].pk}
    assert all([a.position for a in items] == [0, 1] for items in found.values())
    assert attachments_for([]) == {}


# Alt text and focal point


def test_the_owner_can_change_the_description_and_focal_point(fern: User):
    picture = image_upload(fern, description="Beans")
    changed = actions.update_description(
        fern, picture.pk, description="Runner beans on canes", focus="-0.5,0.5"
    )
    picture.refresh_from_db()
    assert picture.description == changed.description == "Runner beans on canes"
    assert (picture.focus_x, picture.focus_y) == (-0.5, 0.5)
    actions.update_description(fern, picture.pk, description="Runner beans")
    picture.refresh_from_db()
    assert (picture.focus_x, picture.focus_y) == (-0.5, 0.5)  # no focus given: kept


def test_nobody_else_can_change_a_description(fern: User):
    picture = image_upload(fern, description="Beans")
    with pytest.raises(ValidationError, match="not found"):
        actions.update_description(make_user("rook"), picture.pk, description="Weeds")
    picture.refresh_from_db()
    assert picture.description == "Beans"


def test_a_long_description_is_refused_on_change(fern: User):
    picture = image_upload(fern)
    with pytest.raises(ValidationError, match="1,500"):
        actions.update_description(fern, picture.pk, description="b" * 1501)


# Files go with their posts or when never used


def test_deleting_a_post_removes_its_files_after_commit(fern: User, media_root: Path):
    picture = image_upload(fern)
    kept = image_upload(fern)
    run_jobs()
    post = make_post(fern)
    actions.attach(fern, post, [picture.pk])
    picture.refresh_from_db()
    with transaction.atomic():
        actions.discard_for_posts([post.pk])
        post.delete()
    assert not MediaAttachment.objects.filter(pk=picture.pk).exists()
    run_jobs()
    kept.refresh_from_db()
    assert stored_files(media_root) == sorted(kept.stored_paths())


def test_a_rolled_back_deletion_keeps_the_files(fern: User, media_root: Path):
    picture = image_upload(fern)
    run_jobs()
    post = make_post(fern)
    actions.attach(fern, post, [picture.pk])
    before = stored_files(media_root)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.discard_for_posts([post.pk])
        raise RuntimeError("changed my mind")
    run_jobs()
    assert stored_files(media_root) == before


def test_old_uploads_never_attached_are_removed(fern: User, media_root: Path):
    stale, fresh, used = image_upload(fern), image_upload(fern), image_upload(fern)
    run_jobs()
    actions.attach(fern, make_post(fern), [used.pk])
    long_ago = timezone.now() - timedelta(days=2)
    MediaAttachment.objects.filter(pk__in=[stale.pk, used.pk]).update(created_at=long_ago)
    stale.refresh_from_db()
    stale_files = stale.stored_paths()
    assert stale_files

    assert actions.remove_orphans(timedelta(days=1)) == 1
    run_jobs()
    assert set(MediaAttachment.objects.values_list("pk", flat=True)) == {fresh.pk, used.pk}
    remaining = stored_files(media_root)
    assert not set(stale_files) & set(remaining)
    assert len(remaining) == 2 * 2  # fresh and used: a display image and a thumbnail each


def test_discarding_unposted_uploads_removes_them(fern: User, media_root: Path):
    mine, theirs = image_upload(fern), image_upload(make_user("rook"))
    actions.discard_uploads(fern, [mine.pk, theirs.pk])
    run_jobs()
    assert list(MediaAttachment.objects.values_list("pk", flat=True)) == [theirs.pk]
    theirs.refresh_from_db()
    assert stored_files(media_root) == sorted(theirs.stored_paths())


# The gallery


def ready_images(owner: User, count: int, **kwargs: str) -> list[MediaAttachment]:
    uploads = [image_upload(owner, **kwargs) for _ in range(count)]
    run_jobs()
    for upload in uploads:
        upload.refresh_from_db()
    return uploads


def test_a_gallery_shows_images_with_alt_text_focus_and_placeholder(fern: User):
    (picture,) = ready_images(fern, 1, description='Beans <b>"tall"</b>', focus="0.5,0.5")
    html = gallery_html([picture], sensitive=False)
    assert 'alt="Beans &lt;b&gt;&quot;tall&quot;&lt;/b&gt;"' in html
    assert "<b>" not in html
    assert 'loading="lazy"' in html
    assert 'width="80" height="60"' in html
    assert "object-position: 75% 25%;" in html
    assert "background-image: url(data:image/png;base64," in html
    assert f'src="{url_prefix()}{picture.file_path}"' in html
    assert "<details" not in html


def test_an_image_without_a_description_says_so(fern: User):
    (picture,) = ready_images(fern, 1)
    assert 'alt="Image without a description"' in gallery_html([picture], sensitive=False)


def test_sensitive_media_is_hidden_until_clicked_without_javascript(fern: User):
    pictures = ready_images(fern, 2)
    html = gallery_html(pictures, sensitive=True)
    assert html.startswith('<details class="media-sensitive"><summary>Sensitive media — show')
    assert html.endswith("</details>")
    assert html.count("<img ") == 2
    assert "<script" not in html


def test_unfinished_and_failed_items_are_shown_as_such(fern: User):
    pending, broken = image_upload(fern), image_upload(fern)
    broken.status = Status.FAILED
    html = gallery_html([pending, broken], sensitive=False)
    assert "Processing…" in html
    assert "This file could not be processed." in html
    assert "<img" not in html
    assert gallery_html([], sensitive=True) == ""
