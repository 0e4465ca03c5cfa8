"""Hashtags through the client API: one tag, following and unfollowing, the followed list."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, api_as
from tests.api.test_timelines import ids, links
from tests.factories import make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.posts.models import HashtagFollow, Visibility

pytestmark = pytest.mark.django_db


def test_a_tag_with_its_week_known_or_not(anon: ApiClient, fern: User) -> None:
    make_post(fern, "Mulching #Roses now.")
    make_post(fern, "#roses in the rain.")
    make_post(fern, "#roses for followers.", visibility=Visibility.FOLLOWERS)
    tag = anon.get("/api/v1/tags/roses").json()
    assert tag["name"] == "roses" and tag["url"] == "http://testserver/tags/roses"
    assert tag["history"][0]["uses"] == "2" and tag["history"][0]["accounts"] == "1"
    assert "following" not in tag
    unknown = anon.get("/api/v1/tags/NeverUsed")
    assert unknown.status_code == 200
    assert unknown.json()["name"] == "neverused"
    assert all(day["uses"] == "0" for day in unknown.json()["history"])
    for bad in ("not-a-tag", "a%20b", "x" * 101):
        assert anon.get(f"/api/v1/tags/{bad}").status_code == 404, bad


def test_follow_and_unfollow(fern: User, fern_api: ApiClient) -> None:
    followed = fern_api.post("/api/v1/tags/Compost/follow")
    assert followed.status_code == 200
    assert followed.json()["name"] == "compost" and followed.json()["following"] is True
    assert HashtagFollow.objects.filter(user=fern, hashtag__name="compost").exists()
    assert fern_api.get("/api/v1/tags/compost").json()["following"] is True
    # Someone else does not follow it.
    assert api_as(make_user("rue")).get("/api/v1/tags/compost").json()["following"] is False
    again = fern_api.post("/api/v1/tags/compost/follow")
    assert again.status_code == 200
    # Its public posts reach the home timeline.
    post = make_post(make_user("basil"), "Turning the #compost heap.")
    run_jobs()
    assert str(post.pk) in ids(fern_api.get("/api/v1/timelines/home"))
    unfollowed = fern_api.post("/api/v1/tags/compost/unfollow")
    assert unfollowed.status_code == 200 and unfollowed.json()["following"] is False
    assert not HashtagFollow.objects.filter(user=fern).exists()
    assert fern_api.post("/api/v1/tags/not-a-tag/follow").status_code == 404


def test_follow_needs_write_follows(fern: User) -> None:
    assert ApiClient().post("/api/v1/tags/compost/follow").status_code == 401
    assert api_as(fern, "read").post("/api/v1/tags/compost/follow").status_code == 403
    assert api_as(fern, "write:follows").post("/api/v1/tags/compost/follow").status_code == 200
    assert api_as(fern, "follow").post("/api/v1/tags/compost/unfollow").status_code == 200
    assert api_as(fern, "write:statuses").get("/api/v1/tags/compost").status_code == 403


def test_followed_tags_latest_first_with_links(fern: User, fern_api: ApiClient) -> None:
    for name in ("beans", "leeks", "squash"):
        fern_api.post(f"/api/v1/tags/{name}/follow")
    api_as(make_user("rue")).post("/api/v1/tags/secret/follow")
    page = fern_api.get("/api/v1/followed_tags", {"limit": 2})
    assert [t["name"] for t in page.json()] == ["squash", "leeks"]
    assert all(t["following"] for t in page.json())
    rest = fern_api.get("/api/v1/followed_tags", links(page)["next"])
    assert [t["name"] for t in rest.json()] == ["beans"]
    assert [t["name"] for t in fern_api.get("/api/v1/followed_tags").json()] == [
        "squash",
        "leeks",
        "beans",
    ]
    assert ApiClient().get("/api/v1/followed_tags").status_code == 401
    assert api_as(fern, "read:statuses").get("/api/v1/followed_tags").status_code == 403
    assert fern_api.get("/api/v1/followed_tags", {"limit": "x"}).status_code == 422
