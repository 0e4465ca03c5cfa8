"""Small endpoints apps call: trends, follow suggestions, custom emojis, announcements."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, api_as
from tests.factories import follow, make_post, make_user
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.graph import actions as graph_actions
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db


def test_trending_tags_by_members_using_them(anon: ApiClient, fern: User) -> None:
    members = [make_user(f"grower{n}") for n in range(3)]
    for member in members:
        make_post(member, "Planting #garlic this week.")
    make_post(members[0], "#onions too.")
    make_post(fern, "#secretbeds plans.", visibility=Visibility.FOLLOWERS)
    found = anon.get("/api/v1/trends/tags")
    assert found.status_code == 200
    assert [t["name"] for t in found.json()] == ["garlic", "onions"]
    assert found.json()[0]["history"][0]["accounts"] == "3"
    assert anon.get("/api/v1/trends").json() == found.json()
    paged = anon.get("/api/v1/trends/tags", {"limit": 1, "offset": 1}).json()
    assert [t["name"] for t in paged] == ["onions"]
    assert anon.get("/api/v1/trends/tags", {"limit": "x"}).status_code == 422
    member = api_as(fern).get("/api/v1/trends/tags").json()
    assert member[0]["following"] is False


def test_trending_statuses_and_links(anon: ApiClient, fern: User) -> None:
    basil, rue = make_user("basil"), make_user("rue")
    popular = make_post(basil, "Giant marrow!")
    liked_once = make_post(rue, "Small courgette.")
    quiet = make_post(rue, "No one saw this.")
    private = make_post(basil, "Followers only marrow.", visibility=Visibility.FOLLOWERS)
    for member in (fern, rue):
        post_actions.like(member, popular)
    post_actions.share(fern, popular)
    post_actions.like(basil, liked_once)
    follow(rue, basil)
    post_actions.like(rue, private)
    found = [s["id"] for s in anon.get("/api/v1/trends/statuses").json()]
    assert found == [str(popular.pk), str(liked_once.pk)]
    assert str(quiet.pk) not in found and str(private.pk) not in found
    assert [s["id"] for s in anon.get("/api/v1/trends/statuses", {"offset": 1}).json()] == [
        str(liked_once.pk)
    ]
    graph_actions.block(basil, fern)
    mine = [s["id"] for s in api_as(fern).get("/api/v1/trends/statuses").json()]
    assert mine == [str(liked_once.pk)]
    assert anon.get("/api/v1/trends/links").json() == []


def test_suggestions_most_followed_first(fern: User) -> None:
    popular, quiet, followed = make_user("popular"), make_user("quiet"), make_user("followed")
    hidden, blocker = make_user("hidden"), make_user("blocker")
    account_actions.update_profile(hidden, discoverable=False)
    graph_actions.block(blocker, fern)
    for n in range(2):
        follow(make_user(f"fan{n}"), popular)
    follow(fern, followed)
    client = api_as(fern, "read:accounts")
    v2 = client.get("/api/v2/suggestions")
    assert v2.status_code == 200
    usernames = [s["account"]["username"] for s in v2.json()]
    assert usernames[0] == "popular"
    assert "quiet" in usernames
    for left_out in ("fern", "followed", "hidden", "blocker"):
        assert left_out not in usernames
    assert v2.json()[0]["sources"] == ["most_followed"]
    assert v2.json()[0]["source"] == "global"
    v1 = client.get("/api/v1/suggestions", {"limit": 2}).json()
    assert [a["username"] for a in v1] == usernames[:2]
    assert quiet.pk


def test_suggestions_need_a_member_and_scopes(fern: User) -> None:
    other = make_user("basil")
    assert ApiClient().get("/api/v2/suggestions").status_code == 401
    assert api_as(fern, "read:statuses").get("/api/v2/suggestions").status_code == 403
    assert api_as(fern, "read").get("/api/v1/suggestions", {"limit": "x"}).status_code == 422
    remove = api_as(fern, "write:accounts").delete(f"/api/v1/suggestions/{other.pk}")
    assert remove.status_code == 200 and remove.json() == {}
    assert api_as(fern, "read").delete(f"/api/v1/suggestions/{other.pk}").status_code == 403
    assert api_as(fern).delete("/api/v1/suggestions/nobody").status_code == 404


def test_custom_emojis_and_announcements(anon: ApiClient, fern: User) -> None:
    assert anon.get("/api/v1/custom_emojis").json() == []
    assert anon.get("/api/v1/announcements").status_code == 401
    member = api_as(fern)
    assert member.get("/api/v1/announcements").json() == []
    missing = member.post("/api/v1/announcements/1/dismiss")
    assert missing.status_code == 404 and missing.json() == {"error": "Record not found"}
    assert member.put("/api/v1/announcements/1/reactions/%F0%9F%8C%B1").status_code == 404
    assert member.post("/api/v1/announcements/abc/dismiss").status_code == 404
    assert api_as(fern, "read").post("/api/v1/announcements/1/dismiss").status_code == 403
    assert api_as(fern, "write:statuses").get("/api/v1/announcements").status_code == 403


def test_answers_match_the_openapi_document(fern: User) -> None:
    """What these endpoints answer is what /api/openapi.json says they answer."""
    import jsonschema_rs

    basil = make_user("basil")
    make_user("rue")  # someone to suggest
    follow(fern, basil)
    follow(basil, fern)
    post = make_post(fern, "Sowing #sweetpeas @basil")
    post_actions.like(basil, post)
    post_actions.share(basil, post)
    post_actions.bookmark(fern, post)
    post_actions.like(fern, post)
    api_as(fern).post("/api/v1/tags/sweetpeas/follow")
    api_as(fern).post("/api/v1/markers", {"home": {"last_read_id": str(post.pk)}})
    document = ApiClient().get("/api/openapi.json").json()
    client = api_as(fern)
    checked = [
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/sweetpeas",
        "/api/v1/bookmarks",
        "/api/v1/favourites",
        "/api/v1/notifications",
        "/api/v1/notifications/unread_count",
        "/api/v1/markers?timeline[]=home&timeline[]=notifications",
        "/api/v2/search?q=sweetpeas",
        "/api/v2/search?q=basil",
        "/api/v1/search?q=sweetpeas",
        "/api/v1/tags/sweetpeas",
        "/api/v1/followed_tags",
        "/api/v1/trends/tags",
        "/api/v1/trends",
        "/api/v1/trends/statuses",
        "/api/v1/trends/links",
        "/api/v2/suggestions",
        "/api/v1/suggestions",
        "/api/v1/custom_emojis",
        "/api/v1/announcements",
    ]
    for url in checked:
        response = client.get(url)
        assert response.status_code == 200, url
        path = url.split("?")[0]
        operation = (
            document["paths"].get(path)
            or document["paths"][
                path.replace("sweetpeas", "{hashtag}")
                if "timelines" in path
                else path.replace("sweetpeas", "{name}")
            ]
        )
        schema = operation["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        validator = jsonschema_rs.validator_for({**schema, "components": document["components"]})
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(response.json())]
        assert not errors, (url, errors[:5])
        assert response.json() or url.endswith(("links", "emojis", "announcements")), url
