"""The API's entity cache (townsquare.api.serializers.cache): a status or account served from
it is never out of date where clients would notice, and nothing of one viewer's reaches
another."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import api_as
from tests.api.test_timelines import jpeg, media_root, post_with_image
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.api.serializers import cache
from townsquare.links.models import Card, CardStatus, PostCard
from townsquare.links.models.card import url_key
from townsquare.media import actions as media_actions
from townsquare.media.models import MediaAttachment, Status
from townsquare.polls.actions import create_poll, vote
from townsquare.polls.models import Poll
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post

pytestmark = pytest.mark.django_db
__all__ = ["media_root"]  # the fixture, for the tests with pictures


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.statuses.clear()
    cache.accounts.clear()
    yield
    cache.statuses.clear()
    cache.accounts.clear()


@pytest.fixture
def basil(fern: User) -> User:
    basil = make_user("basil")
    follow(fern, basil)
    run_jobs()
    return basil


def home(user: User) -> list[dict[str, Any]]:
    run_jobs()  # fan-out
    response = api_as(user, "read").get("/api/v1/timelines/home")
    assert response.status_code == 200, response.content[:300]
    return response.json()


def shown(user: User, post: Post) -> dict[str, Any]:
    found = [s for s in home(user) if s["id"] == str(post.pk)]
    assert found, f"post {post.pk} is not on the home timeline"
    return found[0]


def test_a_second_page_load_is_served_from_the_cache(fern: User, basil: User) -> None:
    make_post(basil, "Seed potatoes are in.")
    first = home(fern)
    hits = cache.statuses.hits
    assert home(fern) == first
    assert cache.statuses.hits > hits
    assert len(cache.statuses) >= 1 and len(cache.accounts) >= 1


def test_an_edit_shows_at_once(fern: User, basil: User) -> None:
    post = make_post(basil, "Tomatoes planted.")
    assert "Tomatoes planted." in shown(fern, post)["content"]
    post_actions.edit_post(basil, Post.objects.get(pk=post.pk), text="Tomatoes and basil planted.")
    status = shown(fern, post)
    assert "Tomatoes and basil planted." in status["content"]
    assert status["edited_at"] is not None


def test_marked_sensitive_shows_at_once(fern: User, basil: User) -> None:
    post = make_post(basil, "A slug, up close.")
    assert shown(fern, post)["sensitive"] is False
    Post.objects.filter(pk=post.pk).update(sensitive=True)  # as a moderator's action does
    assert shown(fern, post)["sensitive"] is True


def test_counts_are_current_though_the_rest_is_cached(fern: User, basil: User) -> None:
    post = make_post(basil, "First courgette of the year.")
    assert shown(fern, post)["favourites_count"] == 0
    for n in range(2):
        post_actions.like(make_user(f"neighbour{n}"), post)
    post_actions.share(make_user("sharer"), post)
    status = shown(fern, post)
    assert (status["favourites_count"], status["reblogs_count"]) == (2, 1)


def test_one_viewers_marks_never_reach_another(fern: User, basil: User) -> None:
    rosemary = make_user("rosemary")
    follow(rosemary, basil)
    run_jobs()
    post = make_post(basil, "Compost is ready.")
    post_actions.like(fern, post)
    post_actions.bookmark(fern, post)
    mine = shown(fern, post)
    theirs = shown(rosemary, post)
    assert (mine["favourited"], mine["bookmarked"]) == (True, True)
    assert (theirs["favourited"], theirs["bookmarked"]) == (False, False)
    assert shown(fern, post)["favourited"] is True


def test_a_new_name_or_avatar_shows_at_once(fern: User, basil: User) -> None:
    post = make_post(basil, "Hello from the allotment.")
    assert shown(fern, post)["account"]["display_name"] == ""
    User.objects.filter(pk=basil.pk).update(display_name="Basil of Plot 7")  # another process
    assert shown(fern, post)["account"]["display_name"] == "Basil of Plot 7"


def test_a_new_note_shows_at_once_here_and_within_the_ttl_elsewhere(
    fern: User, basil: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = make_post(basil, "Hello again.")
    shown(fern, post)
    account_actions.update_profile(basil, bio="Grows beans.")  # saved in this process
    assert "Grows beans." in shown(fern, post)["account"]["note"]
    # Saved by another process: this one notices within ACCOUNT_TTL seconds.
    User.objects.filter(pk=basil.pk).update(bio_html="<p>Grows peas.</p>")
    assert "Grows beans." in shown(fern, post)["account"]["note"]
    monkeypatch.setattr(cache, "ACCOUNT_TTL", 0.0)
    cache.accounts.clear()
    assert "Grows peas." in shown(fern, post)["account"]["note"]
    assert "Grows peas." in shown(fern, post)["account"]["note"]


def test_media_are_cached_only_once_ready(fern: User, basil: User, media_root: Path) -> None:
    upload = SimpleUploadedFile("beans.jpg", jpeg(), content_type="image/jpeg")
    attachment = media_actions.upload(basil, upload, description="Runner beans")
    post = post_actions.create_post(basil, text="Beans!", media_ids=[attachment.pk])
    row = MediaAttachment.objects.filter(pk=attachment.pk)

    def public() -> dict[str, Any]:  # read without running jobs: media stay processing
        found = api_as(fern, "read").get("/api/v1/timelines/public").json()
        return next(s for s in found if s["id"] == str(post.pk))

    assert row.get().status != Status.READY
    assert public()["media_attachments"][0]["url"] is None
    assert public()["media_attachments"][0]["url"] is None
    run_jobs()
    assert row.get().status == Status.READY
    assert public()["media_attachments"][0]["url"]


def test_a_card_fetched_later_shows(fern: User, basil: User) -> None:
    post = make_post(basil, "A guide to mulching.")
    url = "https://example.org/mulch"
    card = Card.objects.create(url=url, url_key=url_key(url), status=CardStatus.PENDING)
    PostCard.objects.create(post=post, card=card)
    assert shown(fern, post)["card"] is None
    Card.objects.filter(pk=card.pk).update(status=CardStatus.READY, title="Mulching")
    assert shown(fern, post)["card"]["title"] == "Mulching"


def test_a_ready_card_is_served_from_the_cache_until_it_is_fetched_again(
    fern: User, basil: User
) -> None:
    post = make_post(basil, "Compost notes.")
    url = "https://example.org/compost"
    card = Card.objects.create(
        url=url,
        url_key=url_key(url),
        status=CardStatus.READY,
        title="Compost",
        image="cards/old.jpg",
        fetched_at=timezone.now() - timedelta(days=8),
    )
    PostCard.objects.create(post=post, card=card)
    assert shown(fern, post)["card"]["title"] == "Compost"
    with CaptureQueriesContext(connection) as again:
        assert shown(fern, post)["card"]["title"] == "Compost"
    assert not [q for q in again.captured_queries if q["sql"].startswith("SELECT pc.post_id")]
    # Fetched again (as links.tasks saves it): a new title and picture (the old picture's
    # file is deleted), shown at once.
    Card.objects.filter(pk=card.pk).update(
        title="Compost, revised", image="cards/new.jpg", fetched_at=timezone.now()
    )
    refreshed = shown(fern, post)["card"]
    assert refreshed["title"] == "Compost, revised"
    assert refreshed["image"].endswith("cards/new.jpg")


def test_an_edit_that_removes_the_link_removes_the_card_at_once(
    fern: User, basil: User, settings: Any
) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "LINK_PREVIEWS": True}
    post = make_post(basil, "Plans: https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert shown(fern, post)["card"] is not None
    post_actions.edit_post(basil, post, text="Plans: none yet.")
    assert shown(fern, post)["card"] is None


def test_poll_counts_and_own_votes_are_current(fern: User, basil: User) -> None:
    post = make_post(basil, "Which squash?")
    with transaction.atomic():
        create_poll(post, options=["Butternut", "Crown Prince"], multiple=False, expires_in=3600)
    poll = Poll.objects.get(post=post)
    assert shown(fern, post)["poll"]["votes_count"] == 0
    vote(fern, poll.pk, [1])
    status = shown(fern, post)
    assert status["poll"]["votes_count"] == 1
    assert status["poll"]["own_votes"] == [1]


def test_a_deleted_post_leaves_the_timeline(fern: User, basil: User) -> None:
    post = make_post(basil, "Frost tonight.")
    shown(fern, post)
    post_actions.delete_post(basil, Post.objects.get(pk=post.pk))
    assert str(post.pk) not in {s["id"] for s in home(fern)}


def test_a_picture_post_from_the_cache_keeps_its_media(
    fern: User, basil: User, media_root: Path
) -> None:
    post = post_with_image(basil, "The greenhouse.")
    first = shown(fern, post)
    assert first["media_attachments"][0]["url"]
    hits = cache.statuses.hits
    assert shown(fern, post)["media_attachments"] == first["media_attachments"]
    assert cache.statuses.hits > hits


def test_the_cache_keeps_at_most_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    small = cache.EntityCache(limit=3)
    for n in range(5):
        small.put(n, "stamp", {"n": n})
    assert len(small) == 3
    assert small.get(0, "stamp") is None and small.get(4, "stamp") == {"n": 4}
    assert small.get(4, "other stamp") is None


def test_a_deleted_parent_clears_the_reply_link_at_once(fern: User, basil: User) -> None:
    parent = make_post(fern, "Anyone for seed potatoes?")
    answer = post_actions.create_post(basil, text="Me, please.", in_reply_to=parent)
    assert shown(fern, answer)["in_reply_to_id"] == str(parent.pk)
    post_actions.delete_post(fern, Post.objects.get(pk=parent.pk))
    assert shown(fern, answer)["in_reply_to_id"] is None
