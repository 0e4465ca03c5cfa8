"""The composer as a member uses it, without JavaScript: media with alt text, polls, link
cards and content warnings reach the post cards everywhere; bad input is a form error and
leaves nothing behind."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.conftest import text_of
from tests.factories import follow, make_user, run_jobs
from tests.test_link_previews import og_page
from tests.test_outbound_http import LocalWeb
from townsquare.media.models import MediaAttachment
from townsquare.notifications.models import Kind, Notification
from townsquare.polls.models import Poll
from townsquare.posts.models import Post

pytestmark = pytest.mark.django_db


def jpeg(width: int = 800, height: int = 600) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 160, 80)).save(out, "JPEG")
    return SimpleUploadedFile("allotment.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    server = LocalWeb()
    yield server
    server.close()


def test_photo_with_alt_text_is_processing_then_shown(client: Client) -> None:
    fern, reader = make_user("fern"), make_user("reader")
    follow(reader, fern)
    client.force_login(fern)
    response = client.post(
        "/posts",
        {
            "text": "Our new raised beds",
            "visibility": "0",
            "media_0": jpeg(),
            "alt_0": "Three wooden raised beds full of lettuce",
            "focus_0": "0,1",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(author=fern)
    attachment = MediaAttachment.objects.get(post=post)
    assert (attachment.focus_x, attachment.focus_y) == (0.0, 1.0)  # "Top" kept in view
    client.force_login(reader)
    assert "Processing" in text_of(client.get(f"/@fern/{post.pk}"))
    run_jobs()
    attachment.refresh_from_db()
    assert attachment.status == "ready"
    for url in ("/", f"/@fern/{post.pk}", "/@fern", "/public"):
        page = text_of(client.get(url))
        assert 'alt="Three wooden raised beds full of lettuce"' in page, url


def test_a_file_that_is_not_an_image_is_a_form_error_and_nothing_is_kept(client: Client) -> None:
    fern = make_user("fern")
    client.force_login(fern)
    fake = SimpleUploadedFile("beds.png", b"this is not a png at all", content_type="image/png")
    response = client.post("/posts", {"text": "Beds", "visibility": "0", "media_0": fake})
    assert response.status_code == 400
    assert "that file is neither" in text_of(response)
    assert not Post.objects.exists() and not MediaAttachment.objects.exists()


def test_a_failed_post_leaves_no_upload_behind(client: Client) -> None:
    fern = make_user("fern")
    client.force_login(fern)
    response = client.post(
        "/posts",
        {"text": "x" * 6000, "visibility": "0", "media_0": jpeg(), "alt_0": "Beds"},
    )
    assert response.status_code == 400
    assert not Post.objects.exists()
    assert not MediaAttachment.objects.exists()


def test_poll_from_the_composer(client: Client) -> None:
    fern, sam = make_user("fern"), make_user("sam")
    client.force_login(fern)
    response = client.post(
        "/posts",
        {
            "text": "Which day for the work party?",
            "visibility": "0",
            "poll_option": ["Saturday", ""],
            "poll_expires_in": "3600",
        },
    )
    assert response.status_code == 400 and "2 to 10" in text_of(response)
    options = [f"Day {n}" for n in range(11)]
    response = client.post(
        "/posts", {"text": "Which day?", "visibility": "0", "poll_option": options}
    )
    assert response.status_code == 400 and not Poll.objects.exists()
    response = client.post(
        "/posts",
        {
            "text": "Which day?",
            "visibility": "0",
            "poll_option": ["Saturday", "Sunday"],
            "poll_multiple": "on",
            "poll_expires_in": "300",
        },
    )
    assert response.status_code == 302
    poll = Poll.objects.get()
    assert poll.multiple and poll.options.count() == 2
    client.force_login(sam)
    page = text_of(client.get("/public"))
    assert "Saturday" in page and f"/polls/{poll.pk}/vote" in page


def test_first_link_gets_a_card_in_the_feed(client: Client, web: LocalWeb) -> None:
    fern = make_user("fern")
    web.page("/show", og_page("Autumn flower show", "Prizes for the best dahlias"))
    client.force_login(fern)
    url = web.url("/show")
    client.post("/posts", {"text": f"Entries open: {url}", "visibility": "0"})
    run_jobs()
    page = text_of(client.get("/"))
    assert "Autumn flower show" in page and "Prizes for the best dahlias" in page


def test_follow_and_follow_request_notify(client: Client) -> None:
    ana, lou, fern = make_user("ana"), make_user("lou", locked=True), make_user("fern")
    follow(fern, ana)
    follow(fern, lou)
    assert Notification.objects.filter(recipient=ana, kind=Kind.FOLLOW, actor=fern).exists()
    request = Notification.objects.get(recipient=lou, kind=Kind.FOLLOW_REQUEST)
    assert request.actor_id == fern.pk
    client.force_login(lou)
    assert "@fern" in text_of(client.get("/notifications"))
    from townsquare.graph import actions as graph

    graph.unfollow(fern, lou)  # the request withdrawn: its notification goes too
    assert not Notification.objects.filter(recipient=lou).exists()
    # Withdrawing one request leaves the requester's other notifications alone.
    assert Notification.objects.filter(recipient=ana, actor=fern).exists()
