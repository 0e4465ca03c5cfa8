"""Notifications and markers through the client API: Mastodon's types, filters, paging,
dismissing; nothing shown that the site would not show; reading markers shared by apps."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tests.api.conftest import ApiClient, api_as
from tests.api.test_timelines import links
from tests.factories import follow, make_post, make_user, run_jobs
from tests.test_polls import end
from townsquare.accounts.models import User
from townsquare.graph import actions as graph_actions
from townsquare.notifications.models import Notification
from townsquare.polls.actions import create_poll, vote
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture
def basil() -> User:
    return make_user("basil")


def listed(response: Any) -> list[tuple[str, str]]:
    """(type, account username) of each notification, newest first."""
    assert response.status_code == 200, response.content[:300]
    return [(n["type"], n["account"]["username"]) for n in response.json()]


def test_every_kind_as_mastodon_types(fern: User, basil: User, fern_api: ApiClient) -> None:
    post = make_post(fern, "Our first sunflower.")
    follow(basil, fern)
    post_actions.like(basil, post)
    post_actions.share(basil, post)
    reply = post_actions.create_post(basil, text="Beautiful!", in_reply_to=post)
    mention = make_post(basil, "@fern the seeds are here.")
    post_actions.create_post(basil, text="Look at this", quote_of=post)  # no Mastodon type
    response = fern_api.get("/api/v1/notifications")
    assert listed(response) == [
        ("mention", "basil"),
        ("mention", "basil"),
        ("reblog", "basil"),
        ("favourite", "basil"),
        ("follow", "basil"),
    ]
    page = response.json()
    assert page[0]["status"]["id"] == str(mention.pk)
    assert page[1]["status"]["id"] == str(reply.pk)
    assert page[2]["status"]["id"] == str(post.pk)  # the member's own, shared
    assert page[3]["status"]["favourites_count"] == 1
    assert "status" not in page[4]
    first = page[0]
    assert set(first) >= {"id", "type", "created_at", "account", "status", "group_key"}
    assert first["created_at"].endswith("Z")


def test_follow_requests_and_ended_polls(fern: User, basil: User, fern_api: ApiClient) -> None:
    locked = make_user("hazel", locked=True)
    follow(fern, locked)
    assert listed(api_as(locked).get("/api/v1/notifications")) == [("follow_request", "fern")]
    poll_post = make_post(basil, "Which bean for the plot?")
    with transaction.atomic():
        poll = create_poll(poll_post, options=["Runner", "Broad"], expires_in=3600)
    vote(fern, poll.pk, [0])
    end(poll)
    run_jobs()
    found = fern_api.get("/api/v1/notifications", {"types[]": "poll"}).json()
    # The poll's author speaks for an ended poll.
    assert [(n["type"], n["account"]["username"]) for n in found] == [("poll", "basil")]
    assert found[0]["status"]["poll"]["expired"] is True


def test_types_exclude_types_and_account(fern: User, basil: User, fern_api: ApiClient) -> None:
    rue = make_user("rue")
    post = make_post(fern, "Leek soup recipe.")
    follow(basil, fern)
    post_actions.like(basil, post)
    post_actions.like(rue, post)
    make_post(rue, "@fern thank you!")
    get = fern_api.get
    assert listed(get("/api/v1/notifications", {"types[]": ["favourite", "follow"]})) == [
        ("favourite", "rue"),
        ("favourite", "basil"),
        ("follow", "basil"),
    ]
    assert listed(get("/api/v1/notifications", {"exclude_types[]": ["favourite"]})) == [
        ("mention", "rue"),
        ("follow", "basil"),
    ]
    by_rue = get("/api/v1/notifications", {"account_id": str(rue.pk)})
    assert listed(by_rue) == [("mention", "rue"), ("favourite", "rue")]
    assert listed(get("/api/v1/notifications", {"types[]": ["update", "status"]})) == []
    assert listed(get("/api/v1/notifications", {"types[]": "no_such_type"})) == []
    assert get("/api/v1/notifications", {"account_id": "rue"}).status_code == 422


def test_paging_with_link_headers(fern: User, fern_api: ApiClient) -> None:
    post = make_post(fern, "Allotment open day.")
    likers = [make_user(f"neighbour{n}") for n in range(5)]
    for liker in likers:
        post_actions.like(liker, post)
    newest_first = [u.username for u in reversed(likers)]
    first = fern_api.get("/api/v1/notifications", {"limit": 2})
    assert [name for _, name in listed(first)] == newest_first[:2]
    second = fern_api.get("/api/v1/notifications", links(first)["next"])
    assert [name for _, name in listed(second)] == newest_first[2:4]
    back = fern_api.get("/api/v1/notifications", links(second)["prev"])
    assert [name for _, name in listed(back)] == newest_first[:2]
    oldest = fern_api.get("/api/v1/notifications").json()[-1]["id"]
    since = fern_api.get("/api/v1/notifications", {"since_id": oldest, "limit": 2})
    assert [name for _, name in listed(since)] == newest_first[:2]
    forward = fern_api.get("/api/v1/notifications", {"min_id": oldest, "limit": 2})
    assert [name for _, name in listed(forward)] == newest_first[2:4]
    assert fern_api.get("/api/v1/notifications", {"max_id": "x"}).status_code == 422


def test_nothing_from_blocked_or_muted_members_or_about_hidden_posts(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    rue, hazel = make_user("rue"), make_user("hazel")
    post = make_post(fern, "Pumpkin weigh-in.")
    post_actions.like(basil, post)
    post_actions.like(rue, post)
    follow(fern, hazel)
    make_post(hazel, "@fern followers can read this.", visibility=Visibility.FOLLOWERS)
    assert len(listed(fern_api.get("/api/v1/notifications"))) == 3
    graph_actions.block(fern, basil)
    graph_actions.mute(fern, rue, notifications=True)
    graph_actions.unfollow(fern, hazel)  # still mentioned: the post stays visible
    assert listed(fern_api.get("/api/v1/notifications")) == [("mention", "hazel")]
    hidden = Notification.objects.get(recipient=fern, actor=rue)
    assert fern_api.get(f"/api/v1/notifications/{hidden.pk}").status_code == 404


def test_get_one_and_not_someone_elses(fern: User, basil: User, fern_api: ApiClient) -> None:
    follow(basil, fern)
    follow(fern, basil)
    mine = Notification.objects.get(recipient=fern)
    theirs = Notification.objects.get(recipient=basil)
    response = fern_api.get(f"/api/v1/notifications/{mine.pk}")
    assert response.status_code == 200
    assert response.json()["type"] == "follow" and response.json()["id"] == str(mine.pk)
    assert fern_api.get(f"/api/v1/notifications/{theirs.pk}").status_code == 404
    assert fern_api.get("/api/v1/notifications/abc").status_code == 404
    assert fern_api.get("/api/v1/notifications/99999999999999999999").status_code == 404


def test_dismiss_and_clear(fern: User, basil: User, fern_api: ApiClient) -> None:
    rue = make_user("rue")
    follow(basil, fern)
    follow(rue, fern)
    follow(fern, basil)
    one = Notification.objects.get(recipient=fern, actor=basil)
    theirs = Notification.objects.get(recipient=basil)
    response = fern_api.post(f"/api/v1/notifications/{one.pk}/dismiss")
    assert response.status_code == 200 and response.json() == {}
    assert listed(fern_api.get("/api/v1/notifications")) == [("follow", "rue")]
    assert fern_api.post(f"/api/v1/notifications/{one.pk}/dismiss").status_code == 404
    assert fern_api.post(f"/api/v1/notifications/{theirs.pk}/dismiss").status_code == 404
    assert Notification.objects.filter(pk=theirs.pk).exists()
    assert fern_api.post("/api/v1/notifications/clear").json() == {}
    assert listed(fern_api.get("/api/v1/notifications")) == []
    assert Notification.objects.filter(pk=theirs.pk).exists()


def test_scopes(fern: User, basil: User) -> None:
    follow(basil, fern)
    one = Notification.objects.get(recipient=fern)
    anon = ApiClient()
    assert anon.get("/api/v1/notifications").status_code == 401
    assert anon.post("/api/v1/notifications/clear").status_code == 401
    reader = api_as(fern, "read:notifications")
    assert reader.get("/api/v1/notifications").status_code == 200
    assert reader.post(f"/api/v1/notifications/{one.pk}/dismiss").status_code == 403
    assert reader.post("/api/v1/notifications/clear").status_code == 403
    writer = api_as(fern, "write:notifications")
    assert writer.get("/api/v1/notifications").status_code == 403
    assert writer.get(f"/api/v1/notifications/{one.pk}").status_code == 403
    assert writer.post(f"/api/v1/notifications/{one.pk}/dismiss").status_code == 200


def test_unread_count_and_notifications_marker(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    post = make_post(fern, "Tomato tasting.")
    follow(basil, fern)
    post_actions.like(basil, post)
    assert fern_api.get("/api/v1/notifications/unread_count").json() == {"count": 2}
    counted = fern_api.get("/api/v1/notifications/unread_count", {"types[]": "follow"})
    assert counted.json() == {"count": 1}
    newest = fern_api.get("/api/v1/notifications").json()[0]["id"]
    saved = fern_api.post("/api/v1/markers", {"notifications": {"last_read_id": newest}})
    assert saved.status_code == 200
    assert saved.json()["notifications"]["last_read_id"] == newest
    assert saved.json()["notifications"]["version"] == 1
    # Read in an app is read on the site too.
    assert fern_api.get("/api/v1/notifications/unread_count").json() == {"count": 0}
    assert not Notification.objects.filter(recipient=fern, read=False).exists()


def test_markers_read_and_write(fern: User, fern_api: ApiClient) -> None:
    assert fern_api.get("/api/v1/markers", {"timeline[]": ["home"]}).json() == {}
    form = fern_api.post("/api/v1/markers", {"home[last_read_id]": "12345"}, form=True)
    assert form.status_code == 200
    assert form.json()["home"]["last_read_id"] == "12345"
    assert form.json()["home"]["version"] == 1
    again = fern_api.post(
        "/api/v1/markers",
        {"home": {"last_read_id": "12399"}, "notifications": {"last_read_id": "7"}},
    )
    assert again.json()["home"]["version"] == 2
    assert again.json()["notifications"]["version"] == 1
    both = fern_api.get(
        "/api/v1/markers", {"timeline[]": ["home", "notifications", "elsewhere"]}
    ).json()
    assert set(both) == {"home", "notifications"}
    assert both["home"]["last_read_id"] == "12399"
    assert both["home"]["updated_at"].endswith("Z")
    only_home = fern_api.get("/api/v1/markers", {"timeline[]": "home"}).json()
    assert set(only_home) == {"home"}
    # Someone else's markers are their own.
    assert api_as(make_user("rue")).get("/api/v1/markers", {"timeline[]": "home"}).json() == {}


def test_markers_scopes_and_bad_input(fern: User, fern_api: ApiClient) -> None:
    assert ApiClient().get("/api/v1/markers").status_code == 401
    assert api_as(fern, "read:notifications").get("/api/v1/markers").status_code == 403
    reader = api_as(fern, "read:statuses")
    assert reader.get("/api/v1/markers").status_code == 200
    assert reader.post("/api/v1/markers", {"home": {"last_read_id": "1"}}).status_code == 403
    for bad in (
        {"home": {"last_read_id": "latest"}},
        {"home": {"last_read_id": "-4"}},
        {"home": {"last_read_id": "99999999999999999999999"}},
        {"home": "12"},
    ):
        response = fern_api.post("/api/v1/markers", bad)
        assert response.status_code in (400, 422), bad
        assert "error" in response.json()
    assert fern_api.post("/api/v1/markers", {"home": {}}).status_code == 400
