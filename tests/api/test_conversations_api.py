"""Conversations: the threads of direct posts a member is in, read and hidden state."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, api_as
from tests.factories import make_post, make_user
from townsquare.accounts.models import User
from townsquare.api.schemas.conversations import Conversation
from townsquare.graph import actions as graph_actions
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db

DIRECT = Visibility.MENTIONED


def _direct(author: User, text: str, in_reply_to: Post | None = None) -> Post:
    return post_actions.create_post(author, text=text, visibility=DIRECT, in_reply_to=in_reply_to)


def test_conversation_list_and_read_state(fern: User, fern_api: ApiClient) -> None:
    ivy, moss = make_user("ivy"), make_user("moss")
    started = _direct(ivy, "@fern @moss the chess boards are in the hall cupboard")
    ivy_api = api_as(ivy)
    # The author's own conversation is read for them.
    mine = ivy_api.get("/api/v1/conversations").json()
    assert len(mine) == 1 and mine[0]["unread"] is False

    body = fern_api.get("/api/v1/conversations").json()
    assert len(body) == 1
    conversation = body[0]
    Conversation.model_validate(conversation)
    assert set(conversation) == set(Conversation.model_fields)
    assert conversation["id"] == str(started.pk)
    assert conversation["unread"] is True
    assert conversation["last_status"]["id"] == str(started.pk)
    assert conversation["last_status"]["visibility"] == "direct"
    assert {a["id"] for a in conversation["accounts"]} == {str(ivy.pk), str(moss.pk)}

    read = fern_api.post(f"/api/v1/conversations/{conversation['id']}/read")
    assert read.status_code == 200
    assert read.json()["unread"] is False
    assert fern_api.get("/api/v1/conversations").json()[0]["unread"] is False

    # fern answers: still read for fern, and unread again for ivy.
    answer = _direct(fern, "@ivy thanks!", in_reply_to=started)
    ours = fern_api.get("/api/v1/conversations").json()
    assert ours[0]["unread"] is False and ours[0]["last_status"]["id"] == str(answer.pk)
    assert ivy_api.get("/api/v1/conversations").json()[0]["unread"] is True


def test_hide_until_a_new_post(fern: User, fern_api: ApiClient) -> None:
    ivy = make_user("ivy")
    started = _direct(ivy, "@fern seed swap on Saturday?")
    assert fern_api.delete(f"/api/v1/conversations/{started.pk}").json() == {}
    assert fern_api.get("/api/v1/conversations").json() == []
    _direct(ivy, "@fern bring the marrows", in_reply_to=started)
    body = fern_api.get("/api/v1/conversations").json()
    assert len(body) == 1 and body[0]["unread"] is True


def test_paging_newest_activity_first(fern: User, fern_api: ApiClient) -> None:
    ivy = make_user("ivy")
    first = _direct(ivy, "@fern one")
    second = _direct(ivy, "@fern two")
    _direct(ivy, "@fern again", in_reply_to=first)
    response = fern_api.get("/api/v1/conversations", {"limit": 1})
    assert [c["id"] for c in response.json()] == [str(first.pk)]
    assert 'rel="next"' in response["Link"]
    last_id = int(response.json()[0]["last_status"]["id"])
    older = fern_api.get("/api/v1/conversations", {"max_id": last_id})
    assert [c["id"] for c in older.json()] == [str(second.pk)]
    newer = fern_api.get("/api/v1/conversations", {"min_id": second.pk})
    assert [c["id"] for c in newer.json()] == [str(first.pk)]


def test_others_conversations_do_not_leak(fern: User, fern_api: ApiClient) -> None:
    ivy, moss = make_user("ivy"), make_user("moss")
    secret = _direct(ivy, "@moss the gate code is 1234")
    make_post(ivy, "Followers-only news", Visibility.FOLLOWERS)
    make_post(ivy, "Public news")
    assert fern_api.get("/api/v1/conversations").json() == []
    assert fern_api.post(f"/api/v1/conversations/{secret.pk}/read").status_code == 404
    assert fern_api.delete(f"/api/v1/conversations/{secret.pk}").status_code == 404
    assert len(api_as(moss).get("/api/v1/conversations").json()) == 1


def test_blocks_hide_conversations(fern: User, fern_api: ApiClient) -> None:
    ivy = make_user("ivy")
    _direct(ivy, "@fern hello")
    graph_actions.block(fern, ivy)
    assert fern_api.get("/api/v1/conversations").json() == []


def test_tokens_scopes_and_bad_ids(fern: User, anon: ApiClient, fern_api: ApiClient) -> None:
    assert anon.get("/api/v1/conversations").status_code == 401
    assert anon.post("/api/v1/conversations/1/read").status_code == 401
    assert api_as(fern, "read:statuses").get("/api/v1/conversations").status_code == 200
    assert api_as(fern, "write:statuses").get("/api/v1/conversations").status_code == 403
    assert api_as(fern, "read").post("/api/v1/conversations/1/read").status_code == 403
    assert api_as(fern, "read").delete("/api/v1/conversations/1").status_code == 403
    assert fern_api.post("/api/v1/conversations/abc/read").status_code == 404
    assert fern_api.delete("/api/v1/conversations/999").status_code == 404
    assert fern_api.get("/api/v1/conversations", {"limit": "many"}).status_code in (400, 422)
