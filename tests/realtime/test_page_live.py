"""The site's own pages hear what changed, through a real `townsquare serve`: the live
connection a signed-in page opens (`/live/events` on the streaming server, with the session
cookie), and the direct-message events on it: a new message, someone typing, a message read.
With Redis configured (the PostgreSQL pass) the events cross processes through Redis."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from tests.realtime.clients import EventStream
from tests.realtime.conftest import LiveServer
from tests.realtime.test_streaming_live import marker, run


def _page_headers(live: LiveServer, who: dict[str, Any]) -> dict[str, str]:
    return {"Cookie": f"sessionid={who['session']}", "Origin": live.url}


async def _web_post(live: LiveServer, who: dict[str, Any], path: str, data: dict[str, str]) -> str:
    """POST a form as the member's browser would (with the CSRF token); the page it leads to."""
    async with httpx.AsyncClient(
        base_url=live.url, cookies={"sessionid": who["session"]}, timeout=10
    ) as client:
        await client.get("/messages/new")  # sets the CSRF cookie
        token = client.cookies.get("csrftoken") or ""
        response = await client.post(
            path, data={**data, "csrfmiddlewaretoken": token}, headers={"X-CSRFToken": token}
        )
        assert response.status_code in (204, 302), (response.status_code, response.text[:500])
        return response.headers.get("location", "")


async def _web_get(live: LiveServer, who: dict[str, Any], path: str) -> httpx.Response:
    async with httpx.AsyncClient(
        base_url=live.url, cookies={"sessionid": who["session"]}, timeout=10
    ) as client:
        return await client.get(path)


def test_the_live_connection_needs_a_session_and_a_page_of_this_site(live: LiveServer) -> None:
    rosa = live.members["rosa"]
    url = f"{live.streaming}/live/events"
    anonymous = httpx.get(url, headers={"Origin": live.url}, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json() == {"error": "Not signed in"}
    forged = httpx.get(url, headers={"Cookie": "sessionid=not-a-session"}, timeout=10)
    assert forged.status_code == 401
    elsewhere = httpx.get(
        url,
        headers={"Cookie": f"sessionid={rosa['session']}", "Origin": "https://elsewhere.example"},
        timeout=10,
    )
    assert elsewhere.status_code == 403


def test_the_signed_in_page_names_its_live_connection(live: LiveServer) -> None:
    async def scenario() -> None:
        page = await _web_get(live, live.members["rosa"], "/")
        found = re.search(r'data-live="([^"]+)"', page.text)
        assert found and found.group(1) == f"{live.streaming}/live/events"

    run(scenario())


def test_a_message_typing_and_reading_reach_the_open_pages(live: LiveServer) -> None:
    rosa, basil = live.members["rosa"], live.members["basil"]  # basil follows rosa
    text = marker()

    async def scenario() -> None:
        url = f"{live.streaming}/live/events"
        async with (
            EventStream(url, headers=_page_headers(live, basil)) as basil_page,
            EventStream(url, headers=_page_headers(live, rosa)) as rosa_page,
        ):
            where = await _web_post(
                live, rosa, "/messages/new", {"to": "basil", "text": f"Seed swap? {text}"}
            )
            conversation = where.rstrip("/").rsplit("/", 1)[-1]
            event = await basil_page.expect("live", lambda e: e["kind"] == "message")
            assert event["conversation"] == conversation
            await rosa_page.expect("live", lambda e: e["kind"] == "message")  # her other tabs

            await _web_post(live, basil, f"/messages/{conversation}/typing", {})
            typing = await rosa_page.expect("live", lambda e: e["kind"] == "typing")
            assert typing == {"kind": "typing", "conversation": conversation, "name": "basil"}

            thread = await _web_get(live, basil, f"/messages/{conversation}/thread")
            assert text in thread.text
            await rosa_page.expect("live", lambda e: e["kind"] == "read")
            seen = await _web_get(live, rosa, f"/messages/{conversation}")
            assert '<p class="seen">Seen</p>' in seen.text

            badges = await _web_get(live, basil, "/menu/badges")
            assert badges.json() == {"notifications": 0, "messages": 0}
            await asyncio.sleep(0.3)
            assert all(kind == "live" for kind, _ in basil_page.drain())

    run(scenario())


def test_a_request_is_read_unseen_and_strangers_hear_nothing(live: LiveServer) -> None:
    dill, clover = live.members["dill"], live.members["clover"]  # clover muted dill

    async def scenario() -> None:
        url = f"{live.streaming}/live/events"
        async with (
            EventStream(url, headers=_page_headers(live, dill)) as dill_page,
            EventStream(url, headers=_page_headers(live, live.members["rosa"])) as stranger,
        ):
            where = await _web_post(
                live, dill, "/messages/new", {"to": "clover", "text": "Spare rhubarb?"}
            )
            conversation = where.rstrip("/").rsplit("/", 1)[-1]
            # clover does not follow dill: a request, which clover opens without it showing.
            page = await _web_get(live, clover, f"/messages/{conversation}")
            assert "This is a message request" in page.text
            await asyncio.sleep(1.0)
            events = [e for kind, e in dill_page.drain() if kind == "live"]
            assert [e["kind"] for e in events] == ["message"]
            assert stranger.drain() == []

    run(scenario())
