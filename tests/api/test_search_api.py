"""Search through the client API (/api/v2/search, and the old /api/v1/search): accounts,
hashtags with their week of use, and posts the searcher may see."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ApiClient, api_as
from tests.factories import follow, make_post, make_user
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.graph import actions as graph_actions
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db
SEARCH = "/api/v2/search"


@pytest.fixture
def basil() -> User:
    return make_user("basil")


def names(response: Any, kind: str = "accounts") -> list[str]:
    assert response.status_code == 200, response.content[:300]
    key = "username" if kind == "accounts" else "name"
    return [item[key] for item in response.json()[kind]]


def status_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [status["id"] for status in response.json()["statuses"]]


def test_accounts_for_visitors_and_members(anon: ApiClient, fern: User, basil: User) -> None:
    make_user("basilisk")
    hidden = make_user("basil_private")
    account_actions.update_profile(hidden, discoverable=False)
    assert names(anon.get(SEARCH, {"q": "basil"})) == ["basil", "basilisk"]
    assert names(anon.get(SEARCH, {"q": "@basil@testserver", "type": "accounts"}))[0] == "basil"
    assert names(anon.get(SEARCH, {"q": "@basil@elsewhere.example"})) == []
    result = anon.get(SEARCH, {"q": "basil"}).json()
    assert result["statuses"] == [] and result["hashtags"] == []
    assert result["accounts"][0]["acct"] == "basil"


def test_accounts_following_and_blocks(fern: User, basil: User, fern_api: ApiClient) -> None:
    make_user("basilisk")
    follow(fern, basil)
    assert names(fern_api.get(SEARCH, {"q": "basil", "following": "true"})) == ["basil"]
    graph_actions.block(basil, fern)
    assert names(fern_api.get(SEARCH, {"q": "basil"})) == ["basilisk"]


def test_hashtags_with_history(anon: ApiClient, fern: User, fern_api: ApiClient) -> None:
    make_post(fern, "Pruning #roses today.")
    make_post(make_user("rue"), "More #roses and #rosemary.")
    make_post(fern, "Secret #rosewater plans.", visibility=Visibility.FOLLOWERS)
    response = anon.get(SEARCH, {"q": "#roses", "type": "hashtags"})
    assert names(response, "hashtags") == ["roses"]
    tag = response.json()["hashtags"][0]
    assert tag["url"] == "http://testserver/tags/roses"
    assert len(tag["history"]) == 7
    today = tag["history"][0]
    assert today == {"day": today["day"], "uses": "2", "accounts": "2"}
    assert int(today["day"]) % 86400 == 0
    assert all(day["uses"] == "0" for day in tag["history"][1:])
    assert "following" not in tag
    # A hashtag used only in a private post is not found.
    assert names(anon.get(SEARCH, {"q": "rosewater"}), "hashtags") == []
    found = fern_api.get(SEARCH, {"q": "rose", "type": "hashtags"}).json()["hashtags"]
    assert [t["name"] for t in found] == ["roses", "rosemary"]
    assert found[0]["following"] is False


def test_statuses_respect_visibility(fern: User, basil: User, fern_api: ApiClient) -> None:
    rue = make_user("rue")
    public = make_post(basil, "Rhubarb crumble recipe.")
    followers = make_post(basil, "Rhubarb for followers.", visibility=Visibility.FOLLOWERS)
    strangers = make_post(rue, "Rhubarb secrets.", visibility=Visibility.FOLLOWERS)
    mentioned = make_post(rue, "@basil rhubarb for you.", visibility=Visibility.MENTIONED)
    found = status_ids(fern_api.get(SEARCH, {"q": "rhubarb", "type": "statuses"}))
    assert found == [str(public.pk)]
    follow(fern, basil)
    found = status_ids(fern_api.get(SEARCH, {"q": "rhubarb"}))
    assert set(found) == {str(public.pk), str(followers.pk)}
    for hidden in (strangers, mentioned):
        assert str(hidden.pk) not in found
    by_account = fern_api.get(SEARCH, {"q": "rhubarb", "account_id": str(basil.pk)})
    assert set(status_ids(by_account)) == {str(public.pk), str(followers.pk)}
    # Visitors get no post search, as on Mastodon.
    assert status_ids(ApiClient().get(SEARCH, {"q": "rhubarb"})) == []


def test_offset_needs_a_type_and_a_member(fern: User, fern_api: ApiClient) -> None:
    for n in range(3):
        make_user(f"gardener_{n}")
    everyone = names(fern_api.get(SEARCH, {"q": "gardener_", "type": "accounts"}))
    assert len(everyone) == 3
    paged = fern_api.get(SEARCH, {"q": "gardener_", "type": "accounts", "limit": 1, "offset": 1})
    assert names(paged) == everyone[1:2]
    untyped = fern_api.get(SEARCH, {"q": "gardener_", "limit": 1, "offset": 1})
    assert names(untyped) == everyone[:1]  # no type: the offset is not honoured
    anon = ApiClient().get(SEARCH, {"q": "gardener_", "type": "accounts", "offset": 1})
    assert anon.status_code == 401
    assert ApiClient().get(SEARCH, {"q": "x", "resolve": "true"}).status_code == 401


def test_resolve_links_to_this_site(fern: User, basil: User, fern_api: ApiClient) -> None:
    public = make_post(basil, "Spring planting guide.")
    private = make_post(basil, "Only followers.", visibility=Visibility.FOLLOWERS)
    url = f"http://testserver/@basil/{public.pk}"
    found = fern_api.get(SEARCH, {"q": url, "resolve": "true"})
    assert status_ids(found) == [str(public.pk)]
    assert found.json()["accounts"] == []
    hidden = fern_api.get(SEARCH, {"q": f"http://testserver/@basil/{private.pk}", "resolve": "1"})
    assert status_ids(hidden) == []
    profile = fern_api.get(SEARCH, {"q": "http://testserver/@basil", "resolve": "true"})
    assert names(profile) == ["basil"]
    elsewhere = fern_api.get(SEARCH, {"q": "https://elsewhere.example/@basil", "resolve": "1"})
    assert elsewhere.json() == {"accounts": [], "statuses": [], "hashtags": []}


def test_bad_input_and_scopes(fern: User, fern_api: ApiClient) -> None:
    missing = fern_api.get(SEARCH)
    assert missing.status_code == 400 and "error" in missing.json()
    assert fern_api.get(SEARCH, {"q": ""}).status_code == 400
    assert fern_api.get(SEARCH, {"q": "x", "limit": "lots"}).status_code == 422
    assert fern_api.get(SEARCH, {"q": "x", "offset": "-1", "type": "accounts"}).status_code == 422
    assert fern_api.get(SEARCH, {"q": "x", "type": "planets"}).json() == {
        "accounts": [],
        "statuses": [],
        "hashtags": [],
    }
    for nasty in (
        '"unbalanced',
        "NEAR(",
        "'; DROP TABLE posts_post; --",
        "%_%",
        "x" * 5000,
    ):
        assert fern_api.get(SEARCH, {"q": nasty}).status_code == 200, nasty
    for nul in ("bas\x00il", "@a\x00@testserver"):  # a clear 422, as for any text with a NUL
        assert fern_api.get(SEARCH, {"q": nul}).status_code == 422, nul
    assert api_as(fern, "read:statuses").get(SEARCH, {"q": "fern"}).status_code == 403
    assert api_as(fern, "read:search").get(SEARCH, {"q": "fern"}).status_code == 200


def test_v1_search_answers_hashtags_as_names(anon: ApiClient, fern: User) -> None:
    make_post(fern, "Sowing #sweetpeas.")
    response = anon.get("/api/v1/search", {"q": "sweetpeas"})
    assert response.status_code == 200
    assert response.json()["hashtags"] == ["sweetpeas"]
