"""Muting a conversation (POST /api/v1/statuses/:id/mute and /unmute): no notifications about
any post of the thread while it is muted; the status says `muted`; the usual 401/403/404."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, api_as
from tests.factories import make_post, make_user
from townsquare.accounts.models import User
from townsquare.notifications.models import Kind, Notification
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db


def reply(author: User, to: Post, text: str) -> Post:
    return post_actions.create_post(author, text=text, in_reply_to=to)


def kinds(member: User) -> list[str]:
    return list(Notification.objects.filter(recipient=member).values_list("kind", flat=True))


def test_a_muted_conversation_stops_its_notifications(fern: User, fern_api: ApiClient) -> None:
    basil = make_user("basil")
    root = make_post(fern, "Who has spare seed trays?")
    first = reply(basil, root, "I do!")
    assert kinds(fern) == [Kind.REPLY]
    answer = fern_api.post(f"/api/v1/statuses/{first.pk}/mute")  # muting through a reply
    assert answer.status_code == 200, answer.content
    assert answer.json()["muted"] is True
    assert fern_api.get(f"/api/v1/statuses/{root.pk}").json()["muted"] is True
    deeper = reply(basil, first, "Four of them, in fact.")
    post_actions.like(basil, root)
    post_actions.share(basil, root)
    assert kinds(fern) == [Kind.REPLY]  # nothing new about the muted thread
    other = make_post(fern, "Unrelated: the shed is open.")
    post_actions.like(basil, other)
    assert sorted(kinds(fern)) == sorted([Kind.REPLY, Kind.LIKE])  # other threads still notify
    home_status = next(
        s for s in fern_api.get(f"/api/v1/accounts/{basil.pk}/statuses").json()
        if s["id"] == str(deeper.pk)
    )  # fmt: skip
    assert home_status["muted"] is True
    unmuted = fern_api.post(f"/api/v1/statuses/{root.pk}/unmute").json()
    assert unmuted["muted"] is False
    reply(basil, root, "Collect them any time.")
    assert kinds(fern).count(Kind.REPLY) == 2


def test_muting_is_per_member_and_twice_is_once(fern: User, fern_api: ApiClient) -> None:
    basil = make_user("basil")
    root = make_post(basil, "Leek trench dug.")
    assert fern_api.post(f"/api/v1/statuses/{root.pk}/mute").json()["muted"] is True
    assert fern_api.post(f"/api/v1/statuses/{root.pk}/mute").json()["muted"] is True
    assert api_as(basil).get(f"/api/v1/statuses/{root.pk}").json()["muted"] is False
    rosemary = make_user("rosemary")
    reply(rosemary, root, "Nice trench.")
    assert kinds(basil) == [Kind.REPLY]  # basil did not mute it


def test_mute_needs_a_token_the_scope_and_a_visible_status(fern: User, anon: ApiClient) -> None:
    basil = make_user("basil")
    hidden = make_post(basil, "Followers only.", visibility=Visibility.FOLLOWERS)
    open_post = make_post(basil, "Open.")
    assert anon.post(f"/api/v1/statuses/{open_post.pk}/mute").status_code == 401
    reader = api_as(fern, "read")
    assert reader.post(f"/api/v1/statuses/{open_post.pk}/mute").status_code == 403
    writer = api_as(fern, "write:mutes")
    assert writer.post(f"/api/v1/statuses/{hidden.pk}/mute").status_code == 404
    assert writer.post("/api/v1/statuses/nonsense/unmute").status_code == 404
    assert writer.post(f"/api/v1/statuses/{open_post.pk}/mute").status_code == 200
