"""Favourite, reblog, bookmark and pin through the API (and undo each), who favourited or
reblogged a status, and that none of it reaches a status the caller may not see."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.conftest import ApiClient, api_as
from tests.factories import follow, make_post, make_user
from townsquare.accounts.models import User
from townsquare.graph import actions as graph_actions
from townsquare.polls import actions as poll_actions
from townsquare.posts import actions
from townsquare.posts.models import Bookmark, Like, Pin, Post, Visibility

pytestmark = pytest.mark.django_db


def test_favourite_and_unfavourite(fern: User, fern_api: ApiClient) -> None:
    post = make_post(make_user("rook"), "First strawberries")
    body = fern_api.post(f"/api/v1/statuses/{post.pk}/favourite").json()
    assert body["favourited"] is True and body["favourites_count"] == 1
    again = fern_api.post(f"/api/v1/statuses/{post.pk}/favourite").json()
    assert again["favourites_count"] == 1
    body = fern_api.post(f"/api/v1/statuses/{post.pk}/unfavourite").json()
    assert body["favourited"] is False and body["favourites_count"] == 0
    assert not Like.objects.exists()


def test_favouriting_a_reblog_favourites_its_original(fern: User, fern_api: ApiClient) -> None:
    rook, wren = make_user("rook"), make_user("wren")
    original = make_post(rook, "Rain at last")
    shared = actions.share(wren, original)
    body = fern_api.post(f"/api/v1/statuses/{shared.pk}/favourite").json()
    assert body["id"] == str(original.pk) and body["favourited"] is True


def test_reblog_answers_with_the_reblog(fern: User, fern_api: ApiClient) -> None:
    original = make_post(make_user("rook"), "Plant sale Saturday")
    response = fern_api.post(f"/api/v1/statuses/{original.pk}/reblog", {"visibility": "unlisted"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reblog"]["id"] == str(original.pk)
    assert body["account"]["username"] == "fern"
    assert body["visibility"] == "unlisted"
    assert body["reblogged"] is True and body["reblog"]["reblogs_count"] == 1
    again = fern_api.post(f"/api/v1/statuses/{original.pk}/reblog").json()
    assert again["id"] == body["id"]
    body = fern_api.post(f"/api/v1/statuses/{original.pk}/unreblog").json()
    assert body["id"] == str(original.pk) and body["reblogged"] is False
    assert not Post.objects.filter(reblog_of=original).exists()


def test_a_reblog_with_a_bad_visibility_is_refused(fern: User, fern_api: ApiClient) -> None:
    original = make_post(make_user("rook"))
    response = fern_api.post(f"/api/v1/statuses/{original.pk}/reblog", {"visibility": "direct"})
    assert response.status_code == 422


def test_a_private_status_cannot_be_reblogged(fern: User, fern_api: ApiClient) -> None:
    rook = make_user("rook")
    follow(fern, rook)
    private = make_post(rook, "For followers", Visibility.FOLLOWERS)
    mine = make_post(fern, "Mine, private", Visibility.FOLLOWERS)
    for post in (private, mine):
        response = fern_api.post(f"/api/v1/statuses/{post.pk}/reblog")
        assert response.status_code == 403
    assert not Post.objects.filter(reblog_of__isnull=False).exists()


def test_bookmark_and_unbookmark(fern: User, fern_api: ApiClient) -> None:
    post = make_post(make_user("rook"), "Soil recipe")
    assert fern_api.post(f"/api/v1/statuses/{post.pk}/bookmark").json()["bookmarked"] is True
    assert Bookmark.objects.filter(user=fern, post=post).exists()
    assert fern_api.post(f"/api/v1/statuses/{post.pk}/unbookmark").json()["bookmarked"] is False
    assert not Bookmark.objects.exists()


def test_pin_and_unpin_own_statuses(fern: User, fern_api: ApiClient) -> None:
    post = make_post(fern, "Club rules")
    assert fern_api.post(f"/api/v1/statuses/{post.pk}/pin").json()["pinned"] is True
    assert fern_api.post(f"/api/v1/statuses/{post.pk}/unpin").json()["pinned"] is False
    private = make_post(fern, "Followers, see here", Visibility.FOLLOWERS)
    assert fern_api.post(f"/api/v1/statuses/{private.pk}/pin").status_code == 200


def test_pinning_others_direct_or_too_many_is_422(fern: User, fern_api: ApiClient) -> None:
    theirs = make_post(make_user("rook"), "Not yours")
    assert fern_api.post(f"/api/v1/statuses/{theirs.pk}/pin").status_code == 422
    direct = make_post(fern, "Just me", Visibility.MENTIONED)
    assert fern_api.post(f"/api/v1/statuses/{direct.pk}/pin").status_code == 422
    for n in range(actions.MAX_PINS):
        pinned = fern_api.post(f"/api/v1/statuses/{make_post(fern, str(n)).pk}/pin")
        assert pinned.status_code == 200
    over = fern_api.post(f"/api/v1/statuses/{make_post(fern, 'six').pk}/pin")
    assert over.status_code == 422 and "error" in over.json()
    assert Pin.objects.filter(user=fern).count() == actions.MAX_PINS


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("favourite", "write:favourites"),
        ("unfavourite", "write:favourites"),
        ("reblog", "write:statuses"),
        ("unreblog", "write:statuses"),
        ("bookmark", "write:bookmarks"),
        ("unbookmark", "write:bookmarks"),
        ("pin", "write:accounts"),
        ("unpin", "write:accounts"),
    ],
)
def test_each_action_needs_its_scope(fern: User, path: str, scope: str) -> None:
    post = make_post(fern, "Scoped")
    url = f"/api/v1/statuses/{post.pk}/{path}"
    assert ApiClient().post(url).status_code == 401
    assert api_as(fern, "read write:lists").post(url).status_code == 403
    assert api_as(fern, scope).post(url).status_code == 200


# Who favourited, who reblogged


def test_favourited_by_lists_accounts_with_pagination(fern: User, anon: ApiClient) -> None:
    post = make_post(fern, "Vote for the best marrow")
    fans = [make_user(f"fan{n}") for n in range(3)]
    for fan in fans:
        actions.like(fan, post)
    response = anon.get(f"/api/v1/statuses/{post.pk}/favourited_by", {"limit": 2})
    assert response.status_code == 200
    assert [a["username"] for a in response.json()] == ["fan2", "fan1"]
    link = response["Link"]
    next_url = link.split(";")[0].strip("<>")
    max_id = parse_qs(urlsplit(next_url).query)["max_id"][0]
    rest = anon.get(f"/api/v1/statuses/{post.pk}/favourited_by", {"max_id": max_id}).json()
    assert [a["username"] for a in rest] == ["fan0"]
    newer = anon.get(f"/api/v1/statuses/{post.pk}/favourited_by", {"min_id": max_id}).json()
    assert [a["username"] for a in newer] == ["fan2"]


def test_reblogged_by(fern: User, anon: ApiClient) -> None:
    post = make_post(fern, "Swap shop open")
    rook = make_user("rook")
    actions.share(rook, post)
    body = anon.get(f"/api/v1/statuses/{post.pk}/reblogged_by").json()
    assert [a["username"] for a in body] == ["rook"]


def test_who_lists_need_read_accounts(fern: User) -> None:
    post = make_post(fern)
    for path in ("favourited_by", "reblogged_by"):
        url = f"/api/v1/statuses/{post.pk}/{path}"
        assert api_as(fern, "read:statuses").get(url).status_code == 403
        assert api_as(fern, "read:accounts").get(url).status_code == 200
        assert ApiClient().get(url, {"limit": "lots"}).status_code == 422


# Nothing reaches a status the caller may not see


def test_every_status_endpoint_is_404_for_hidden_statuses(fern: User) -> None:
    rook = make_user("rook")
    follower = make_user("wren")
    follow(follower, fern)
    hidden = {
        "private": make_post(fern, "Followers only", Visibility.FOLLOWERS),
        "direct": make_post(fern, "Mentioned only", Visibility.MENTIONED),
    }
    poll_post = actions.create_post(
        fern,
        text="Private poll",
        visibility=Visibility.FOLLOWERS,
        poll=actions.PollSpec(options=["Yes", "No"], expires_in=3600),
    )
    stranger = api_as(rook)
    for name, post in hidden.items():
        base = f"/api/v1/statuses/{post.pk}"
        for path in ("", "/context", "/history", "/source", "/favourited_by", "/reblogged_by"):
            assert stranger.get(base + path).status_code == 404, (name, path)
            assert ApiClient().get(base + path).status_code in (401, 404), (name, path)
        for path in ("favourite", "reblog", "bookmark", "pin", "unfavourite", "unbookmark"):
            assert stranger.post(f"{base}/{path}").status_code == 404, (name, path)
        assert stranger.put(base, {"status": "x"}).status_code == 404
        assert stranger.delete(base).status_code == 404
    poll_id = poll_post.poll.pk
    assert stranger.get(f"/api/v1/polls/{poll_id}").status_code == 404
    assert stranger.post(f"/api/v1/polls/{poll_id}/votes", {"choices": [0]}).status_code == 404
    assert not Like.objects.exists() and not Bookmark.objects.exists() and not Pin.objects.exists()
    # The follower sees the followers-only one, but may not reblog it.
    wren = api_as(follower)
    assert wren.get(f"/api/v1/statuses/{hidden['private'].pk}").status_code == 200
    assert wren.post(f"/api/v1/statuses/{hidden['private'].pk}/reblog").status_code == 403
    assert wren.get(f"/api/v1/statuses/{hidden['direct'].pk}").status_code == 404


def test_blocked_members_cannot_act_on_statuses(fern: User) -> None:
    rook = make_user("rook")
    post = make_post(fern, "Public notice")
    graph_actions.block(fern, rook)
    client = api_as(rook)
    assert client.get(f"/api/v1/statuses/{post.pk}").status_code == 404
    assert client.post(f"/api/v1/statuses/{post.pk}/favourite").status_code == 404
    assert client.post(f"/api/v1/statuses/{post.pk}/reblog").status_code == 404


def test_poll_votes_through_actions(fern: User) -> None:
    post = actions.create_post(
        fern, text="Meet when?", poll=actions.PollSpec(options=["Mon", "Tue"], expires_in=600)
    )
    poll_actions.vote(make_user("rook"), post.poll.pk, [1])
    body = ApiClient().get(f"/api/v1/statuses/{post.pk}").json()
    assert body["poll"]["votes_count"] == 1
