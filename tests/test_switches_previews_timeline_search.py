"""The operator's "link_previews", "public_timeline" and "post_search" switches, in every
place each reaches: the pages, the menu, the routes, the client API and the streaming API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import ApiClient, api_as, make_token
from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user, run_jobs
from tests.test_link_previews import fetch_jobs, og_page
from tests.test_outbound_http import LocalWeb
from townsquare.accounts.models import User
from townsquare.links.models import Card, CardStatus, PostCard
from townsquare.links.tasks import fetch_card
from townsquare.realtime import asgi
from townsquare.realtime.streams import StreamError
from townsquare.site import actions as site_actions
from townsquare.site import state

pytestmark = pytest.mark.django_db


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    server = LocalWeb()
    yield server
    server.close()


# -- link previews ----------------------------------------------------------------------------


def test_no_fetch_is_queued_or_made_while_previews_are_off(fern: User, web: LocalWeb) -> None:
    web.page("/fair", og_page("Village seed fair"))
    site_actions.set_feature("link_previews", enabled=False)
    post = make_post(fern, f"Swap your seeds: {web.url('/fair')}")
    run_jobs()
    assert fetch_jobs() == 0 and web.requests == []
    assert not PostCard.objects.filter(post_id=post.pk).exists()


def test_a_fetch_queued_before_the_switch_does_not_go_out(fern: User, web: LocalWeb) -> None:
    web.page("/fair", og_page("Village seed fair"))
    post = make_post(fern, f"Swap your seeds: {web.url('/fair')}")
    assert fetch_jobs() == 1
    site_actions.set_feature("link_previews", enabled=False)
    card_id = PostCard.objects.get(post_id=post.pk).card_id
    assert fetch_card.call(card_id) == "disabled"
    assert web.requests == []
    assert Card.objects.get(pk=card_id).status != CardStatus.READY


def test_the_environment_is_a_hard_off_whatever_the_switch(
    fern: User, web: LocalWeb, settings: Any
) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "LINK_PREVIEWS": False}
    web.page("/fair", og_page("Village seed fair"))
    site_actions.set_feature("link_previews", enabled=True)
    make_post(fern, f"Swap your seeds: {web.url('/fair')}")
    run_jobs()
    assert fetch_jobs() == 0 and web.requests == []


def test_cards_are_shown_nowhere_while_previews_are_off(fern: User, web: LocalWeb) -> None:
    web.page("/fair", og_page("Village seed fair", "Bring your spare seedlings"))
    post = make_post(fern, f"Swap your seeds: {web.url('/fair')}")
    run_jobs()
    reader = make_user("reader")
    api = api_as(reader)
    page_url, status_url = f"/@fern/{post.pk}", f"/api/v1/statuses/{post.pk}"
    assert "Village seed fair" in text_of(client_of(reader).get(page_url))
    assert api.get(status_url).json()["card"]["title"] == "Village seed fair"  # now cached
    site_actions.set_feature("link_previews", enabled=False)
    for url in (page_url, "/", "/public"):
        assert "Village seed fair" not in text_of(client_of(reader).get(url)), url
    assert api.get(status_url).json()["card"] is None
    assert api.get("/api/v1/timelines/public").json()[0]["card"] is None
    site_actions.set_feature("link_previews", enabled=True)
    assert "Village seed fair" in text_of(client_of(reader).get(page_url))
    assert api.get(status_url).json()["card"]["title"] == "Village seed fair"


# -- the public timeline for visitors ---------------------------------------------------------


def test_visitors_are_sent_to_log_in_while_the_public_timeline_is_off(fern: User) -> None:
    make_post(fern, "Seedling swap on Saturday #allotment")
    visitor = client_of(None)
    landing = text_of(visitor.get("/"))
    assert "Seedling swap on Saturday" in landing and 'href="/public"' in landing
    assert visitor.get("/public").status_code == 200
    site_actions.set_feature("public_timeline", enabled=False)
    landing = text_of(visitor.get("/"))
    assert "Seedling swap on Saturday" not in landing and "Latest public posts" not in landing
    assert 'href="/public"' not in landing
    for url in ("/public", "/tags/allotment"):
        response = visitor.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login?next="), url
    # Members still have it, in the menu and on the page.
    member = client_of(make_user("sam"))
    assert 'href="/public"' in text_of(member.get("/"))
    for url in ("/public", "/tags/allotment"):
        assert "Seedling swap on Saturday" in text_of(member.get(url)), url


def test_the_api_public_timelines_need_a_member_while_off(fern: User) -> None:
    make_post(fern, "Seedling swap on Saturday #allotment")
    paths = ("/api/v1/timelines/public", "/api/v1/timelines/tag/allotment")
    for path in paths:
        assert len(ApiClient().get(path).json()) == 1, path
    site_actions.set_feature("public_timeline", enabled=False)
    app_only = ApiClient(make_token(None, "read"))
    member = api_as(make_user("sam"))
    for path in paths:
        response = ApiClient().get(path)
        assert response.status_code == 401, path
        assert response.json() == {"error": "This method requires an authenticated user"}
        assert app_only.get(path).status_code == 422, path
        found = member.get(path)
        assert found.status_code == 200 and len(found.json()) == 1, path


def _open_stream(name: str, monkeypatch: pytest.MonkeyPatch, token_user: int | None) -> Any:
    async def now(func: Any, *args: Any) -> Any:  # on the test's database connection
        return func(*args)

    monkeypatch.setattr(asgi, "in_thread", now)
    # The switches are read here, on the test's connection; the event loop finds them read.
    monkeypatch.setattr(state, "REFRESH_SECONDS", 3600.0)
    state.current()
    caller = asgi.Caller(token_user, frozenset({"read"}))
    params = {"tag": "allotment"} if name.startswith("hashtag") else {}
    return asyncio.run(asgi.StreamingApp()._resolve(caller, name, params))


def test_public_streams_need_a_token_while_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _open_stream("public", monkeypatch, None).key == "public"
    site_actions.set_feature("public_timeline", enabled=False)
    for name in ("public", "public:local", "hashtag"):
        with pytest.raises(StreamError) as refused:
            _open_stream(name, monkeypatch, None)
        assert refused.value.status == 401, name
    sam = make_user("sam")
    assert _open_stream("hashtag", monkeypatch, sam.pk).key == "hashtag:allotment"


# -- search of posts --------------------------------------------------------------------------


def test_without_post_search_the_search_page_finds_people_and_hashtags(fern: User) -> None:
    make_user("compost_carol")
    make_post(fern, "Turning the compost heap today #compost")
    browser = client_of(make_user("sam"))
    page = text_of(browser.get("/search?q=compost"))
    assert "Turning the compost heap" in page and 'href="?q=compost&amp;type=posts"' in page
    site_actions.set_feature("post_search", enabled=False)
    for url in ("/search?q=compost", "/search?q=compost&type=posts"):
        page = text_of(browser.get(url))
        assert "@compost_carol" in page and "#compost" in page, url
        assert "Turning the compost heap" not in page, url
        assert 'href="?q=compost&amp;type=posts"' not in page, url  # no "Posts" tab
        assert 'id="search-posts"' not in page, url
    assert "words in posts" not in text_of(browser.get("/search"))


def test_without_post_search_the_api_finds_no_statuses(fern: User) -> None:
    make_user("compost_carol")
    make_post(fern, "Turning the compost heap today #compost")
    api = api_as(make_user("sam"))
    found = api.get("/api/v2/search", {"q": "compost"}).json()
    assert len(found["statuses"]) == 1
    site_actions.set_feature("post_search", enabled=False)
    for params in ({"q": "compost"}, {"q": "compost", "type": "statuses"}):
        found = api.get("/api/v2/search", params).json()
        assert found["statuses"] == [], params
    found = api.get("/api/v2/search", {"q": "compost"}).json()
    assert [a["username"] for a in found["accounts"]] == ["compost_carol"]
    assert [tag["name"] for tag in found["hashtags"]] == ["compost"]
    assert api.get("/api/v1/search", {"q": "compost"}).json()["statuses"] == []
