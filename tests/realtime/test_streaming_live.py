"""The streaming API against a real `townsquare serve`: server-sent events and websockets,
what each stream carries, and who may open it."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import httpx
import pytest
import websockets

from tests.aio import run as run_coroutine
from tests.realtime.clients import EventStream, api, post_status
from tests.realtime.conftest import LiveServer


def run(coro: Any) -> Any:
    return run_coroutine(asyncio.wait_for(coro, 15))


def marker() -> str:
    return f"m{secrets.token_hex(4)}"


def has(text: str) -> Any:
    return lambda status: isinstance(status, dict) and text in status.get("content", "")


def test_health_on_both_servers(live: LiveServer) -> None:
    for base in (live.streaming, live.url):
        response = httpx.get(f"{base}/api/v1/streaming/health", timeout=5)
        assert response.status_code == 200
        assert response.text == "OK"


def test_instance_advertises_the_streaming_server(live: LiveServer) -> None:
    instance = httpx.get(f"{live.url}/api/v1/instance", timeout=5).json()
    assert instance["urls"]["streaming_api"] == live.ws.removesuffix("/api/v1/streaming")


@pytest.mark.parametrize(
    ("path", "token_key", "error"),
    [
        ("user", None, "Missing access token"),
        ("user", "bad", "Invalid access token"),
        ("public", "bad", "Invalid access token"),
        ("user", "write_only", "Access token does not have the required scopes"),
        ("user/notification", "write_only", "Access token does not have the required scopes"),
        ("direct", None, "Missing access token"),
    ],
)
def test_streams_refuse_without_a_good_token(
    live: LiveServer, path: str, token_key: str | None, error: str
) -> None:
    basil = live.members["basil"]
    headers = {}
    if token_key == "bad":
        headers["Authorization"] = "Bearer not-a-token"
    elif token_key:
        headers["Authorization"] = f"Bearer {basil[token_key]}"
    response = httpx.get(f"{live.streaming}/api/v1/streaming/{path}", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"error": error}


def test_unknown_stream_and_missing_tag(live: LiveServer) -> None:
    assert httpx.get(f"{live.streaming}/api/v1/streaming/nowhere", timeout=5).status_code == 404
    response = httpx.get(f"{live.streaming}/api/v1/streaming/hashtag", timeout=5)
    assert response.status_code == 400
    assert "tag" in response.json()["error"]


def test_websocket_refuses_a_bad_token(live: LiveServer) -> None:
    async def scenario() -> None:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(live.ws, subprotocols=["not-a-token"]):  # type: ignore[list-item]
                pass
        assert refused.value.response.status_code == 401
        with pytest.raises(websockets.InvalidStatus) as anonymous:
            async with websockets.connect(live.ws + "?stream=user"):
                pass
        assert anonymous.value.response.status_code == 401

    run(scenario())


def test_user_stream_gets_followed_posts_and_mentions(live: LiveServer) -> None:
    rosa, basil = live.members["rosa"], live.members["basil"]
    text = marker()

    async def scenario() -> None:
        async with EventStream(
            f"{live.streaming}/api/v1/streaming/user", token=basil["token"]
        ) as s:
            posted = await post_status(live.url, rosa["token"], f"Tomatoes are in {text}")
            update = await s.expect("update", has(text))
            assert update["id"] == posted["id"]
            assert update["account"]["id"] == rosa["id"]
            assert "favourited" not in update  # one rendering for everyone
            await post_status(live.url, rosa["token"], f"@basil seedlings? {text}")
            note = await s.expect("notification", lambda n: n["type"] == "mention")
            assert text in note["status"]["content"]
            assert note["account"]["id"] == rosa["id"]

    run(scenario())


def test_notification_stream_carries_only_notifications(live: LiveServer) -> None:
    rosa, basil = live.members["rosa"], live.members["basil"]
    text = marker()

    async def scenario() -> None:
        url = f"{live.streaming}/api/v1/streaming/user/notification"
        async with EventStream(url, token=basil["notifications_only"]) as s:
            await post_status(live.url, rosa["token"], f"@basil compost day {text}")
            note = await s.expect("notification")
            assert text in note["status"]["content"]
            await asyncio.sleep(0.5)
            assert all(event == "notification" for event, _ in s.drain())

    run(scenario())


def test_public_stream_gets_public_posts_only(live: LiveServer) -> None:
    rosa = live.members["rosa"]
    private, public = marker(), marker()

    async def scenario() -> None:
        async with EventStream(f"{live.streaming}/api/v1/streaming/public") as s:
            await post_status(
                live.url, rosa["token"], f"Members only {private}", visibility="private"
            )
            await post_status(
                live.url, rosa["token"], f"Quiet one {private}", visibility="unlisted"
            )
            await post_status(live.url, rosa["token"], f"Open garden {public}")
            first = await s.expect("update")
            assert public in first["content"], first["content"]
            assert first["visibility"] == "public"

    run(scenario())


def test_muted_members_posts_are_not_streamed(live: LiveServer) -> None:
    dill, rosa, clover = live.members["dill"], live.members["rosa"], live.members["clover"]
    text = marker()

    async def scenario() -> None:
        url = f"{live.streaming}/api/v1/streaming/public/local"
        async with EventStream(url, token=clover["token"]) as s:
            await post_status(live.url, dill["token"], f"Muted voice {text}")
            await post_status(live.url, rosa["token"], f"Heard voice {text}")
            first = await s.expect("update", has(text))
            assert first["account"]["id"] == rosa["id"]

    run(scenario())


def test_delete_and_edit_events(live: LiveServer) -> None:
    rosa, basil = live.members["rosa"], live.members["basil"]
    text = marker()

    async def scenario() -> None:
        async with (
            EventStream(f"{live.streaming}/api/v1/streaming/public") as public,
            EventStream(f"{live.streaming}/api/v1/streaming/user", token=basil["token"]) as home,
        ):
            posted = await post_status(live.url, rosa["token"], f"Typo {text}")
            await home.expect("update", has(text))
            edited = await api(
                live.url,
                "PUT",
                f"/api/v1/statuses/{posted['id']}",
                rosa["token"],
                json={"status": f"Fixed {text}"},
            )
            assert edited.status_code == 200, edited.text
            changed = await public.expect("status.update", has(text))
            assert "Fixed" in changed["content"]
            gone = await api(live.url, "DELETE", f"/api/v1/statuses/{posted['id']}", rosa["token"])
            assert gone.status_code == 200, gone.text
            assert await public.expect("delete") == posted["id"]
            assert await home.expect("delete") == posted["id"]

    run(scenario())


def test_websocket_token_in_protocol_header(live: LiveServer) -> None:
    rosa, basil = live.members["rosa"], live.members["basil"]
    text = marker()

    async def scenario() -> None:
        protocol: Any = basil["token"]
        async with websockets.connect(live.ws + "?stream=user", subprotocols=[protocol]) as ws:
            assert ws.subprotocol == basil["token"]
            posted = await post_status(live.url, rosa["token"], f"Bees are back {text}")
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 4))
                if message["event"] == "update" and text in message["payload"]:
                    break
            assert message["stream"] == ["user"]
            assert isinstance(message["payload"], str)  # JSON inside a string, as Mastodon
            assert json.loads(message["payload"])["id"] == posted["id"]

    run(scenario())


def test_websocket_token_in_header_or_parameter(live: LiveServer) -> None:
    basil = live.members["basil"]

    async def scenario() -> None:
        headers = {"Authorization": f"Bearer {basil['token']}"}
        async with websockets.connect(live.ws + "?stream=user", additional_headers=headers) as ws:
            assert ws.subprotocol is None
        async with websockets.connect(f"{live.ws}?stream=user&access_token={basil['token']}"):
            pass

    run(scenario())


def test_websocket_hashtag_subscribe_and_unsubscribe(live: LiveServer) -> None:
    rosa = live.members["rosa"]
    tag = marker()

    async def receive(ws: Any) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 4))
        return message

    async def scenario() -> None:
        async with websockets.connect(live.ws) as ws:
            await ws.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": tag}))
            await ws.send(json.dumps({"type": "subscribe", "stream": "user"}))
            assert (await receive(ws)) == {"error": "Missing access token", "status": 401}
            await asyncio.sleep(0.2)
            await post_status(live.url, rosa["token"], f"First crop #{tag}")
            message = await receive(ws)
            assert message["stream"] == ["hashtag", tag]
            assert message["event"] == "update"
            await ws.send(json.dumps({"type": "unsubscribe", "stream": "hashtag", "tag": tag}))
            await ws.send(json.dumps({"type": "subscribe", "stream": "public"}))
            await asyncio.sleep(0.3)
            await post_status(live.url, rosa["token"], f"Second crop #{tag}")
            message = await receive(ws)
            assert message["stream"] == ["public"]
            assert "Second crop" in json.loads(message["payload"])["content"]
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.6)  # nothing more on the hashtag

    run(scenario())


def test_direct_stream_gets_conversation_events(live: LiveServer) -> None:
    rosa, basil = live.members["rosa"], live.members["basil"]
    text = marker()

    async def scenario() -> None:
        url = f"{live.streaming}/api/v1/streaming/direct"
        async with EventStream(url, token=basil["token"]) as s:
            posted = await post_status(
                live.url, rosa["token"], f"@basil just between us {text}", visibility="direct"
            )
            conversation = await s.expect(
                "conversation", lambda c: c["last_status"]["id"] == posted["id"]
            )
            assert conversation["unread"] is True
            assert [a["id"] for a in conversation["accounts"]] == [rosa["id"]]

    run(scenario())


def test_filters_changed_reaches_the_user_stream(live: LiveServer) -> None:
    basil = live.members["basil"]

    async def scenario() -> None:
        async with EventStream(
            f"{live.streaming}/api/v1/streaming/user", token=basil["token"]
        ) as s:
            response = await api(
                live.url,
                "POST",
                "/api/v2/filters",
                basil["token"],
                json={"title": "No slugs", "context": ["home"]},
            )
            assert response.status_code == 200
            await s.expect("filters_changed")

    run(scenario())


def test_list_stream_gets_posts_of_the_lists_members(live: LiveServer) -> None:
    rosa, basil = live.members["rosa"], live.members["basil"]
    text = marker()

    async def scenario() -> None:
        made = await api(live.url, "POST", "/api/v1/lists", basil["token"], json={"title": "Veg"})
        assert made.status_code == 200, made.text
        list_id = made.json()["id"]
        added = await api(
            live.url,
            "POST",
            f"/api/v1/lists/{list_id}/accounts",
            basil["token"],
            json={"account_ids": [rosa["id"]]},
        )
        assert added.status_code == 200, added.text
        url = f"{live.streaming}/api/v1/streaming/list"
        async with EventStream(url, token=basil["token"], params={"list": list_id}) as s:
            posted = await post_status(live.url, rosa["token"], f"Leeks for the list {text}")
            update = await s.expect("update", has(text))
            assert update["id"] == posted["id"]

    run(scenario())


def test_a_new_mute_silences_an_open_stream_at_once_and_unmuting_lifts_it(
    live: LiveServer,
) -> None:
    rosa, basil, clover = live.members["rosa"], live.members["basil"], live.members["clover"]
    text = marker()

    async def scenario() -> None:
        url = f"{live.streaming}/api/v1/streaming/public/local"
        async with EventStream(url, token=clover["token"]) as s:
            muted = await api(
                live.url, "POST", f"/api/v1/accounts/{basil['id']}/mute", clover["token"]
            )
            assert muted.status_code == 200, muted.text
            try:
                await post_status(live.url, basil["token"], f"Slug pellets {text}")
                await post_status(live.url, rosa["token"], f"Ladybirds {text}")
                first = await s.expect("update", has(text))
                assert first["account"]["id"] == rosa["id"]
            finally:
                unmuted = await api(
                    live.url, "POST", f"/api/v1/accounts/{basil['id']}/unmute", clover["token"]
                )
                assert unmuted.status_code == 200, unmuted.text
            await post_status(live.url, basil["token"], f"Compost again {text}")
            again = await s.expect("update", has(f"Compost again {text}"))
            assert again["account"]["id"] == basil["id"]

    run(scenario())


def test_a_new_block_silences_the_blocked_members_open_websocket_at_once(
    live: LiveServer,
) -> None:
    rosa, basil, dill = live.members["rosa"], live.members["basil"], live.members["dill"]
    text = marker()

    async def scenario() -> None:
        async with websockets.connect(
            f"{live.ws}?stream=public:local&access_token={dill['token']}"
        ) as ws:
            blocked = await api(
                live.url, "POST", f"/api/v1/accounts/{dill['id']}/block", basil["token"]
            )
            assert blocked.status_code == 200, blocked.text
            try:
                await post_status(live.url, basil["token"], f"Seed swap list {text}")
                await post_status(live.url, rosa["token"], f"Seed swap Saturday {text}")
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 8))
                    if message["event"] == "update" and text in message["payload"]:
                        break
                assert json.loads(message["payload"])["account"]["id"] == rosa["id"]
            finally:
                unblocked = await api(
                    live.url, "POST", f"/api/v1/accounts/{dill['id']}/unblock", basil["token"]
                )
                assert unblocked.status_code == 200, unblocked.text

    run(scenario())
