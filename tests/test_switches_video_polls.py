"""The operator's "video" and "polls" switches. Without video, the composer offers photos
only and every upload path refuses a video with a clear message, while videos already posted
stay visible. Without polls, the composer has no poll, new polls are refused on the web and
through the API, and polls already posted show their results, read-only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.api.conftest import ApiClient, api_as
from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user
from tests.test_media_images import encoded, halves
from townsquare.accounts.models import User
from townsquare.media import actions as media_actions
from townsquare.media.models import Kind, MediaAttachment, Status
from townsquare.polls import actions as poll_actions
from townsquare.polls.models import Poll, PollVote
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post, ScheduledPost
from townsquare.site import actions as site_actions

pytestmark = pytest.mark.django_db

# The first bytes of an MP4 file: enough to be taken for a video (and refused before the rest).
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64
VIDEO_OFF = "Video uploads are switched off on this site"
POLLS_OFF = "Polls are switched off on this site"


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def clip(name: str = "chess-night.mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, MP4_HEAD, content_type="video/mp4")


def photo(name: str = "board.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, encoded(halves((90, 60))), content_type="image/jpeg")


def posted_video(author: User, description: str) -> Post:
    """A post with a processed video, made while video was on."""
    video = MediaAttachment.objects.create(
        owner=author,
        kind=Kind.VIDEO,
        status=Status.READY,
        token="cd" * 12,
        file_path="media/chess-night.mp4",
        width=320,
        height=240,
        description=description,
    )
    return post_actions.create_post(author, text="Club night highlights", media_ids=[video.pk])


# -- video ------------------------------------------------------------------------------------


def test_without_video_the_composer_offers_photos_only(fern: User) -> None:
    browser = client_of(fern)
    page = text_of(browser.get("/"))
    assert "video/mp4" in page and "Photos or video" in page
    site_actions.set_feature("video", enabled=False)
    page = text_of(browser.get("/"))
    assert 'accept="image/jpeg,image/png,image/gif,image/webp"' in page
    assert "video/mp4" not in page and "Photos or video" not in page
    assert "one video" not in page
    site_actions.set_feature("video", enabled=True)
    assert "video/mp4" in text_of(browser.get("/"))


def test_the_web_composer_refuses_a_video_and_keeps_nothing(fern: User) -> None:
    site_actions.set_feature("video", enabled=False)
    response = client_of(fern).post(
        "/posts", {"text": "Our chess night", "visibility": "0", "media_0": clip()}
    )
    assert response.status_code == 400
    assert VIDEO_OFF in text_of(response)
    assert not Post.objects.exists() and not MediaAttachment.objects.exists()


def test_the_api_media_endpoints_refuse_a_video(fern: User) -> None:
    site_actions.set_feature("video", enabled=False)
    api = api_as(fern)
    for path in ("/api/v2/media", "/api/v1/media"):
        response = api.post(path, {"file": clip()}, form=True)
        assert response.status_code == 422, path
        assert VIDEO_OFF in response.json()["error"]
    assert not MediaAttachment.objects.exists()
    # Photos still go up.
    assert api.post("/api/v2/media", {"file": photo()}, form=True).status_code == 200
    types = ApiClient().get("/api/v2/instance").json()["configuration"]["media_attachments"]
    assert types["supported_mime_types"] == ["image/jpeg", "image/png", "image/gif", "image/webp"]


def test_a_video_uploaded_before_the_switch_is_not_posted_after_it(fern: User) -> None:
    waiting = MediaAttachment.objects.create(owner=fern, kind=Kind.VIDEO, token="ef" * 12)
    site_actions.set_feature("video", enabled=False)
    with pytest.raises(ValidationError, match=VIDEO_OFF):
        post_actions.create_post(fern, text="Endgame practice", media_ids=[waiting.pk])
    assert not Post.objects.exists()
    site_actions.set_feature("video", enabled=True)
    post = post_actions.create_post(fern, text="Endgame practice", media_ids=[waiting.pk])
    assert MediaAttachment.objects.get(pk=waiting.pk).post_id == post.pk


def test_videos_already_posted_stay_visible_and_editable(fern: User) -> None:
    post = posted_video(fern, "Rooks trading places")
    site_actions.set_feature("video", enabled=False)
    page = text_of(client_of(None).get(f"/@fern/{post.pk}"))
    assert "<video" in page and 'aria-label="Rooks trading places"' in page
    status = api_as(fern).get(f"/api/v1/statuses/{post.pk}").json()
    assert [item["type"] for item in status["media_attachments"]] == ["video"]
    # An edit of the text keeps the post's own video.
    video_id = MediaAttachment.objects.get(post=post).pk
    post_actions.edit_post(
        fern, post, text="Club night highlights, round two", media_ids=[video_id]
    )
    assert MediaAttachment.objects.get(pk=video_id).post_id == post.pk


def test_animated_pictures_are_not_video_uploads(fern: User) -> None:
    from tests.test_media_images import animated_gif

    site_actions.set_feature("video", enabled=False)
    upload = SimpleUploadedFile("knight.gif", animated_gif(), content_type="image/gif")
    item = media_actions.upload(fern, upload)
    assert item.kind in (Kind.GIFV, Kind.IMAGE)


# -- polls ------------------------------------------------------------------------------------


def poll_post(author: User) -> Post:
    spec = post_actions.PollSpec(["Tuesday", "Thursday"], expires_in=3600)
    return post_actions.create_post(author, text="Which evening for the chess club?", poll=spec)


def test_without_polls_the_composer_has_no_poll_and_refuses_one(fern: User) -> None:
    browser = client_of(fern)
    assert 'name="poll_option"' in text_of(browser.get("/"))
    site_actions.set_feature("polls", enabled=False)
    page = text_of(browser.get("/"))
    assert 'name="poll_option"' not in page and 'name="poll_expires_in"' not in page
    assert 'name="media_0"' in page  # the rest of the composer is there
    response = browser.post(
        "/posts",
        {"text": "Which evening?", "visibility": "0", "poll_option": ["Tuesday", "Thursday"]},
    )
    assert response.status_code == 400 and POLLS_OFF in text_of(response)
    assert not Post.objects.exists() and not Poll.objects.exists()
    site_actions.set_feature("polls", enabled=True)
    assert 'name="poll_option"' in text_of(browser.get("/"))


def test_the_api_refuses_new_polls_with_a_422(fern: User) -> None:
    site_actions.set_feature("polls", enabled=False)
    api = api_as(fern)
    poll = {"options": ["Tuesday", "Thursday"], "expires_in": 3600}
    response = api.post("/api/v1/statuses", {"status": "Which evening?", "poll": poll})
    assert response.status_code == 422
    assert POLLS_OFF in response.json()["error"]
    later = (timezone.now() + timedelta(days=1)).isoformat()
    response = api.post(
        "/api/v1/statuses", {"status": "Which evening?", "poll": poll, "scheduled_at": later}
    )
    assert response.status_code == 422 and POLLS_OFF in response.json()["error"]
    assert not Post.objects.exists() and not ScheduledPost.objects.exists()
    # A status without a poll still goes out.
    assert api.post("/api/v1/statuses", {"status": "Club night at 7"}).status_code == 200


def test_an_edit_cannot_add_a_poll_while_polls_are_off(fern: User) -> None:
    post = make_post(fern, "Which evening for the chess club?")
    site_actions.set_feature("polls", enabled=False)
    with pytest.raises(ValidationError, match=POLLS_OFF):
        post_actions.edit_post(
            fern, post, text=post.text, poll=post_actions.PollSpec(["Tuesday", "Thursday"])
        )
    assert not Poll.objects.exists()


def test_polls_already_posted_show_their_results_read_only(fern: User) -> None:
    sam, ana = make_user("sam"), make_user("ana")
    post = poll_post(fern)
    poll = Poll.objects.get(post=post)
    poll_actions.vote(ana, poll.pk, [1])
    vote_url = f"/polls/{poll.pk}/vote"
    assert vote_url in text_of(client_of(sam).get(f"/@fern/{post.pk}"))
    site_actions.set_feature("polls", enabled=False)
    page = text_of(client_of(sam).get(f"/@fern/{post.pk}"))
    assert vote_url not in page
    assert "poll-results" in page and "100%" in page and "Thursday" in page
    assert "Voting is switched off on this site." in page
    # A vote sent anyway counts for nothing: the web says why, the API answers 422.
    response = client_of(sam).post(vote_url, {"choice": "0"}, follow=True)
    assert POLLS_OFF in text_of(response)
    response = api_as(sam).post(f"/api/v1/polls/{poll.pk}/votes", {"choices": ["0"]})
    assert response.status_code == 422 and POLLS_OFF in response.json()["error"]
    assert list(PollVote.objects.values_list("voter__username", flat=True)) == ["ana"]
    # Apps still see the poll with its counts.
    status = api_as(sam).get(f"/api/v1/statuses/{post.pk}").json()
    assert [option["votes_count"] for option in status["poll"]["options"]] == [0, 1]


def test_a_poll_that_hides_its_counts_keeps_them_hidden_while_polls_are_off(fern: User) -> None:
    spec = post_actions.PollSpec(["Blitz", "Rapid"], expires_in=3600, hide_totals=True)
    post = post_actions.create_post(fern, text="Which time control?", poll=spec)
    poll_actions.vote(make_user("ana"), Poll.objects.get(post=post).pk, [0])
    site_actions.set_feature("polls", enabled=False)
    page = text_of(client_of(make_user("sam")).get(f"/@fern/{post.pk}"))
    assert "Blitz" in page and "Voting is switched off on this site." in page
    assert "poll-results" not in page and "/vote" not in page
