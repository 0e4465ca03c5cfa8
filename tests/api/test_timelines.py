"""Timelines through the client API: home, public, hashtag; bookmarks and favourites. Paging
by id cursor (max_id, since_id, min_id) with Link headers; visibility as on the site; and a
fixed number of queries for a page."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from PIL import Image

from tests.api.conftest import ApiClient, api_as
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.api.serializers import cache as entity_cache
from townsquare.graph import actions as graph_actions
from townsquare.links.models import Card, CardStatus, PostCard
from townsquare.links.models.card import url_key
from townsquare.media import actions as media_actions
from townsquare.polls.actions import create_poll
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [status["id"] for status in response.json()]


def links(response: Any) -> dict[str, dict[str, list[str]]]:
    """The Link header as {rel: query parameters}."""
    found: dict[str, dict[str, list[str]]] = {}
    for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.get("Link", "")):
        found[rel] = parse_qs(urlsplit(url).query)
    return found


@pytest.fixture
def basil() -> User:
    return make_user("basil")


@pytest.fixture
def fern_follows_basil(fern: User, basil: User) -> None:
    follow(fern, basil)
    run_jobs()


# -- home -------------------------------------------------------------------------------------


def test_home_shows_followed_members_posts_and_own(
    fern: User, basil: User, fern_api: ApiClient, fern_follows_basil: None
) -> None:
    theirs = make_post(basil, "The tulips are up.")
    mine = make_post(fern, "Seed swap on Saturday.")
    stranger = make_post(make_user("rue"), "Not followed.")
    run_jobs()
    response = fern_api.get("/api/v1/timelines/home")
    assert ids(response) == [str(mine.pk), str(theirs.pk)]
    assert str(stranger.pk) not in ids(response)
    first = response.json()[1]
    assert first["account"]["username"] == "basil"
    assert first["favourited"] is False and first["reblog"] is None


def test_home_needs_a_member_token_with_read_statuses(fern: User) -> None:
    assert ApiClient().get("/api/v1/timelines/home").status_code == 401
    assert ApiClient("not-a-token").get("/api/v1/timelines/home").status_code == 401
    limited = api_as(fern, "read:accounts")
    response = limited.get("/api/v1/timelines/home")
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert api_as(fern, "read:statuses").get("/api/v1/timelines/home").status_code == 200


def test_home_pages_by_status_id_with_link_headers(
    fern: User, basil: User, fern_api: ApiClient, fern_follows_basil: None
) -> None:
    posts = [make_post(basil, f"Garden note {n}") for n in range(5)]
    run_jobs()
    newest_first = [str(p.pk) for p in reversed(posts)]

    first = fern_api.get("/api/v1/timelines/home", {"limit": 2})
    assert ids(first) == newest_first[:2]
    rels = links(first)
    assert rels["next"]["max_id"] == [newest_first[1]]
    assert rels["prev"]["min_id"] == [newest_first[0]]
    assert rels["next"]["limit"] == ["2"]  # the request's other parameters are kept

    second = fern_api.get("/api/v1/timelines/home", {"limit": 2, "max_id": newest_first[1]})
    assert ids(second) == newest_first[2:4]
    third = fern_api.get("/api/v1/timelines/home", {"limit": 2, **links(second)["next"]})
    assert ids(third) == newest_first[4:]

    # min_id: the statuses just newer than it, still newest first (forward paging, no gap).
    forward = fern_api.get("/api/v1/timelines/home", {"limit": 2, "min_id": newest_first[4]})
    assert ids(forward) == newest_first[2:4]
    # since_id: the newest ones above it.
    since = fern_api.get("/api/v1/timelines/home", {"limit": 2, "since_id": newest_first[4]})
    assert ids(since) == newest_first[:2]
    # Nothing newer than the newest: an empty page and no Link header.
    empty = fern_api.get("/api/v1/timelines/home", {"min_id": newest_first[0]})
    assert ids(empty) == [] and "Link" not in empty


def test_home_shows_a_share_as_a_reblog_and_pages_past_it(
    fern: User, basil: User, fern_api: ApiClient, fern_follows_basil: None
) -> None:
    rue = make_user("rue")
    original = make_post(rue, "Compost workshop notes.")
    before = make_post(basil, "Before the share.")
    shared = post_actions.share(basil, original)
    run_jobs()
    page = fern_api.get("/api/v1/timelines/home").json()
    assert [s["id"] for s in page] == [str(shared.pk), str(before.pk)]
    assert page[0]["reblog"]["id"] == str(original.pk)
    assert page[0]["account"]["username"] == "basil"
    assert page[0]["reblog"]["account"]["username"] == "rue"
    older = fern_api.get("/api/v1/timelines/home", {"max_id": str(shared.pk)})
    assert ids(older) == [str(before.pk)]


def test_home_never_shows_posts_the_member_may_not_see(
    fern: User, basil: User, fern_api: ApiClient, fern_follows_basil: None
) -> None:
    followers = make_post(basil, "For my followers.", visibility=Visibility.FOLLOWERS)
    run_jobs()
    assert str(followers.pk) in ids(fern_api.get("/api/v1/timelines/home"))
    graph_actions.unfollow(fern, basil)
    assert str(followers.pk) not in ids(fern_api.get("/api/v1/timelines/home"))
    # someone else's mentioned-only post, even by a member fern follows
    rue = make_user("rue")
    follow(fern, rue)
    secret = make_post(rue, "@basil just for you.", visibility=Visibility.MENTIONED)
    run_jobs()
    assert str(secret.pk) not in ids(fern_api.get("/api/v1/timelines/home"))


@pytest.mark.parametrize(
    "params",
    [
        {"max_id": "abc"},
        {"limit": "-1"},
        {"since_id": "99999999999999999999999"},
        {"min_id": "1.5"},
        {"limit": "many"},
    ],
)
def test_home_rejects_malformed_cursors(fern_api: ApiClient, params: dict[str, str]) -> None:
    response = fern_api.get("/api/v1/timelines/home", params)
    assert response.status_code in (400, 422)
    assert "error" in response.json()


def test_limit_is_capped_at_40(
    fern: User, basil: User, fern_api: ApiClient, fern_follows_basil: None
) -> None:
    for n in range(45):
        make_post(basil, f"Seedling {n}")
    run_jobs()
    assert len(ids(fern_api.get("/api/v1/timelines/home", {"limit": 100}))) == 40
    assert len(ids(fern_api.get("/api/v1/timelines/home"))) == 20


# -- public -----------------------------------------------------------------------------------


def test_public_timeline_is_open_to_visitors_and_shows_public_posts_only(
    anon: ApiClient, fern: User, basil: User
) -> None:
    public = make_post(basil, "Open day at the allotment.")
    unlisted = make_post(basil, "Quiet note.", visibility=Visibility.UNLISTED)
    followers = make_post(basil, "Followers only.", visibility=Visibility.FOLLOWERS)
    mentioned = make_post(basil, "@fern only you.", visibility=Visibility.MENTIONED)
    reply_to_other = post_actions.create_post(fern, text="Lovely!", in_reply_to=public)
    self_reply = post_actions.create_post(basil, text="More photos soon.", in_reply_to=public)
    post_actions.share(fern, public)
    found = ids(anon.get("/api/v1/timelines/public"))
    # As Mastodon's public timeline: no shares, no replies to others.
    assert found == [str(self_reply.pk), str(public.pk)]
    for hidden in (unlisted, followers, mentioned, reply_to_other):
        assert str(hidden.pk) not in found
    # The only remote posts are none; local is everything.
    assert ids(anon.get("/api/v1/timelines/public", {"remote": "true"})) == []
    assert ids(anon.get("/api/v1/timelines/public", {"local": "true"})) == found


def test_public_timeline_scope_and_paging(anon: ApiClient, fern: User, basil: User) -> None:
    posts = [make_post(basil, f"Bulb {n}") for n in range(3)]
    assert api_as(fern, "write:statuses").get("/api/v1/timelines/public").status_code == 403
    member = api_as(fern, "read:statuses")
    page = member.get("/api/v1/timelines/public", {"limit": 2})
    assert ids(page) == [str(posts[2].pk), str(posts[1].pk)]
    assert ids(anon.get("/api/v1/timelines/public", links(page)["next"])) == [str(posts[0].pk)]
    assert ids(anon.get("/api/v1/timelines/public", links(page)["prev"])) == []
    assert anon.get("/api/v1/timelines/public", {"max_id": "x"}).status_code in (400, 422)


def test_public_timeline_hides_blocked_members(fern: User, basil: User) -> None:
    post = make_post(basil, "Hello garden.")
    graph_actions.block(basil, fern)
    assert str(post.pk) not in ids(api_as(fern).get("/api/v1/timelines/public"))


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 160, 70)).save(out, "JPEG")
    return out.getvalue()


def post_with_image(author: User, text: str = "Our pumpkins.") -> Post:
    upload = SimpleUploadedFile("pumpkin.jpg", jpeg(), content_type="image/jpeg")
    attachment = media_actions.upload(author, upload, description="Three pumpkins")
    run_jobs()
    return post_actions.create_post(author, text=text, media_ids=[attachment.pk])


def test_only_media(anon: ApiClient, basil: User, media_root: Path) -> None:
    make_post(basil, "Words only.")
    pictured = post_with_image(basil)
    found = anon.get("/api/v1/timelines/public", {"only_media": "true"}).json()
    assert [s["id"] for s in found] == [str(pictured.pk)]
    assert found[0]["media_attachments"][0]["description"] == "Three pumpkins"


# -- hashtag ----------------------------------------------------------------------------------


def test_tag_timeline_with_any_all_none(anon: ApiClient, basil: User) -> None:
    roses = make_post(basil, "Pruning #roses today.")
    both = make_post(basil, "#roses and #compost together.")
    compost = make_post(basil, "Turning the #compost.")
    make_post(basil, "#roses for my followers.", visibility=Visibility.FOLLOWERS)
    make_post(basil, "#roses quietly.", visibility=Visibility.UNLISTED)
    assert ids(anon.get("/api/v1/timelines/tag/roses")) == [str(both.pk), str(roses.pk)]
    assert ids(anon.get("/api/v1/timelines/tag/Roses")) == [str(both.pk), str(roses.pk)]
    any_of = anon.get("/api/v1/timelines/tag/roses", {"any[]": ["compost"]})
    assert ids(any_of) == [str(compost.pk), str(both.pk), str(roses.pk)]
    all_of = anon.get("/api/v1/timelines/tag/roses", {"all[]": "compost"})
    assert ids(all_of) == [str(both.pk)]
    none_of = anon.get("/api/v1/timelines/tag/roses", {"none[]": ["compost"]})
    assert ids(none_of) == [str(roses.pk)]
    assert ids(anon.get("/api/v1/timelines/tag/nothing_here")) == []
    assert ids(anon.get("/api/v1/timelines/tag/roses", {"remote": "1"})) == []
    paged = anon.get("/api/v1/timelines/tag/roses", {"limit": 1})
    assert ids(paged) == [str(both.pk)]
    assert ids(anon.get("/api/v1/timelines/tag/roses", links(paged)["next"])) == [str(roses.pk)]


def test_tag_timeline_malformed_input_is_not_an_error(anon: ApiClient) -> None:
    assert anon.get("/api/v1/timelines/tag/%F0%9F%8C%B9").status_code == 200
    assert anon.get("/api/v1/timelines/tag/" + "a" * 300).json() == []
    # No hashtag has a NUL in its name: not found, as any path part with one.
    assert anon.get("/api/v1/timelines/tag/ro%00ses").json() == {"error": "Record not found"}
    assert anon.get("/api/v1/timelines/tag/roses", {"none[]": "-"}).json() == []
    nul = anon.get("/api/v1/timelines/tag/roses", {"any[]": "a\x00b"})
    assert nul.status_code == 422 and "NUL" in nul.json()["error"]
    assert anon.get("/api/v1/timelines/tag/roses", {"only_media": "perhaps"}).status_code == 422


# -- bookmarks and favourites -----------------------------------------------------------------


def test_bookmarks_latest_first_paged_by_bookmark(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    older, newer = make_post(basil, "Old tip."), make_post(basil, "New tip.")
    post_actions.bookmark(fern, newer)
    post_actions.bookmark(fern, older)  # bookmarked last: listed first
    make_post(basil, "Not bookmarked.")
    page = fern_api.get("/api/v1/bookmarks", {"limit": 1})
    assert ids(page) == [str(older.pk)]
    assert page.json()[0]["bookmarked"] is True
    rest = fern_api.get("/api/v1/bookmarks", links(page)["next"])
    assert ids(rest) == [str(newer.pk)]
    back = fern_api.get("/api/v1/bookmarks", links(rest)["prev"])
    assert ids(back) == [str(older.pk)]
    assert ApiClient().get("/api/v1/bookmarks").status_code == 401
    assert api_as(fern, "read:favourites").get("/api/v1/bookmarks").status_code == 403


def test_favourites_and_posts_no_longer_visible(
    fern: User, basil: User, fern_api: ApiClient, fern_follows_basil: None
) -> None:
    private = make_post(basil, "Followers: harvest count.", visibility=Visibility.FOLLOWERS)
    public = make_post(basil, "Harvest festival!")
    post_actions.like(fern, private)
    post_actions.like(fern, public)
    post_actions.bookmark(fern, private)
    found = fern_api.get("/api/v1/favourites")
    assert ids(found) == [str(public.pk), str(private.pk)]
    assert all(status["favourited"] for status in found.json())
    graph_actions.unfollow(fern, basil)  # the followers-only post is out of reach now
    assert ids(fern_api.get("/api/v1/favourites")) == [str(public.pk)]
    assert ids(fern_api.get("/api/v1/bookmarks")) == []
    assert api_as(fern, "read:bookmarks").get("/api/v1/favourites").status_code == 403
    assert basil != fern and ids(api_as(basil).get("/api/v1/favourites")) == []


# -- query count ------------------------------------------------------------------------------

# A home page, whatever it holds, read cold: the token (with its member), the feed (entries,
# posts and authors), then the Status serializer's fixed queries: shared originals, media,
# polls (their options and the viewer's choices with them), link cards, what the viewer did
# (liked, shared, bookmarked, pinned), accounts, and mentions, hashtags and apps together.
HOME_PAGE_QUERIES = 9
# Read again, the entity cache (api/serializers/cache.py) holds what every viewer sees alike:
# no media, ready link cards, accounts, mentions, hashtags or apps to read; polls, counts and
# marks are.
WARM_HOME_PAGE_QUERIES = 5


def _card_for(post: Post) -> None:
    url = f"https://example.org/garden/{post.pk}"
    card = Card.objects.create(
        url=url, url_key=url_key(url), status=CardStatus.READY, title="Garden guide"
    )
    PostCard.objects.create(post=post, card=card)


def _rich_home(fern: User, media_root: Path) -> None:
    """20 home statuses from several members: shares, media, a poll, cards, likes."""
    authors = [make_user(f"grower{n}") for n in range(4)]
    for author in authors:
        follow(fern, author)
    run_jobs()
    outsider = make_user("outsider")
    for n in range(3):
        post_with_image(authors[n], f"Photo {n} #harvest")
    poll_post = make_post(authors[0], "Which bean for the plot?")
    with transaction.atomic():
        create_poll(poll_post, options=["Runner", "Broad"], multiple=False, expires_in=86400)
    for n in range(4):
        shared = make_post(outsider, f"Worth sharing {n}")
        post_actions.share(authors[n], shared)
    for n in range(8):
        carded = make_post(authors[n % 4], f"Read this guide {n}")
        _card_for(carded)
    for n in range(3):
        liked = make_post(authors[n], f"Likeable {n}")
        post_actions.like(fern, liked)
    make_post(fern, "My own note.")
    run_jobs()


def test_home_page_costs_a_fixed_number_of_queries(fern: User, media_root: Path) -> None:
    _rich_home(fern, media_root)
    client = api_as(fern, "read")
    client.get("/api/v1/timelines/home")  # warm up (content types, and the like)
    entity_cache.statuses.clear()
    entity_cache.accounts.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/timelines/home")
    page = response.json()
    assert len(page) == 20
    assert any(s["reblog"] for s in page)
    assert any(s["media_attachments"] for s in page)
    assert any(s["poll"] for s in page)
    assert any(s["card"] for s in page)
    sql = "\n".join(q["sql"][:160] for q in queries.captured_queries)
    assert len(queries.captured_queries) == HOME_PAGE_QUERIES, sql
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/api/v1/timelines/home").json() == page
    sql = "\n".join(q["sql"][:160] for q in warm.captured_queries)
    assert len(warm.captured_queries) == WARM_HOME_PAGE_QUERIES, sql
    # The next page costs the same.
    with CaptureQueriesContext(connection) as older:
        assert client.get("/api/v1/timelines/home", links(response)["next"]).status_code == 200
    assert len(older.captured_queries) <= HOME_PAGE_QUERIES
