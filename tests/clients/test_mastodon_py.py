"""Mastodon.py, unmodified, against a real `townsquare serve`: register an app, log in with the
password grant, post with media, reply, favourite, boost, follow, read home and notifications,
and stream the user timeline over SSE (Mastodon.py's own streaming) and over websocket."""

from __future__ import annotations

import asyncio
import io
import json
import os
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mastodon import Mastodon, StreamListener
from PIL import Image

from tests.aio import run as run_coroutine
from tests.clients.live import PASSWORD, Site, png_bytes, wait_until

SCOPES = ["read", "write", "follow", "push"]


def _client(site: Site, username: str) -> Mastodon:
    """A logged-in Mastodon.py client the way an app does it: create_app, then log_in."""
    email = site.member(username)
    client_id, client_secret = Mastodon.create_app(
        f"Mastodon.py for {username}",
        scopes=SCOPES,
        api_base_url=site.url,
        website="https://garden.example/app",
    )
    # "created": Mastodon.py reads the instance version and refuses calls newer than it.
    client = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=site.url,
        version_check_mode="created",
    )
    # allow_http: Mastodon.py's own switch for a test server without TLS.
    token = client.log_in(username=email, password=PASSWORD, scopes=SCOPES, allow_http=True)
    assert token and client.access_token == token
    return client


@pytest.fixture(scope="module")
def fern(site: Site) -> Mastodon:
    return _client(site, "mp_fern")


@pytest.fixture(scope="module")
def basil(site: Site, fern: Mastodon) -> Mastodon:
    """Basil, who follows fern."""
    client = _client(site, "mp_basil")
    fern_id = fern.me()["id"]
    relationship = client.account_follow(fern_id)
    assert relationship["following"] is True
    return client


def _fetched(url: str) -> bytes | None:
    """The body at `url` (on loopback), or None while it is not there (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            body: bytes = answer.read()
            return body
    except urllib.error.HTTPError:
        return None


def _ids(statuses: list[Any]) -> list[str]:
    return [str(status["id"]) for status in statuses]


def test_login_and_version(site: Site, fern: Mastodon) -> None:
    me = fern.account_verify_credentials()
    assert me["username"] == "mp_fern"
    assert me["acct"] == "mp_fern"
    assert fern.retrieve_mastodon_version().startswith("4.")
    assert fern.verify_minimum_version("4.0.0")
    app = fern.app_verify_credentials()
    assert app["name"] == "Mastodon.py for mp_fern"
    instance = fern.instance()
    assert instance["version"].startswith("4.2.0 (compatible; Townsquare ")


def test_post_with_media_and_read_home(
    site: Site, fern: Mastodon, basil: Mastodon, tmp_path: Path
) -> None:
    picture = tmp_path / "seedlings.png"
    picture.write_bytes(png_bytes((120, 80), "darkgreen"))
    media = fern.media_post(str(picture), mime_type="image/png", description="Seed trays")
    assert media["type"] == "image" and media["description"] == "Seed trays"
    status = fern.status_post("First seedlings of the year #gardening", media_ids=[media])
    assert status["account"]["username"] == "mp_fern"
    assert [str(m["id"]) for m in status["media_attachments"]] == [str(media["id"])]
    assert status["tags"][0]["name"] == "gardening"

    # fan-out runs in the server's job worker: the post reaches basil's home shortly
    home = wait_until(
        lambda: [s for s in basil.timeline_home() if str(s["id"]) == str(status["id"])],
        timeout=20,
        what="fern's post in basil's home timeline",
    )
    seen = home[0]
    # The picture's link is absolute, where media are served: this site's /media/, or the
    # bucket's public URL when media are kept in S3 (TOWNSQUARE_TEST_S3=1); and it opens.
    url = seen["media_attachments"][0]["url"]
    media_base = os.environ.get("TOWNSQUARE_S3_PUBLIC_URL") or site.url
    assert url.startswith(f"{media_base}/media/"), url
    picture_shown = wait_until(lambda: _fetched(url), timeout=20, what=f"the picture at {url}")
    assert Image.open(io.BytesIO(picture_shown)).size == (120, 80)
    assert seen["favourited"] is False and seen["reblogged"] is False
    # and it is in fern's own home too
    assert str(status["id"]) in _ids(fern.timeline_home())


def test_reply_favourite_boost_and_notifications(fern: Mastodon, basil: Mastodon) -> None:
    original = fern.status_post("Who has spare bean poles?")
    reply = basil.status_reply(original, "I have six, come by on Saturday")
    assert str(reply["in_reply_to_id"]) == str(original["id"])
    assert "@mp_fern" in reply["content"]
    favourited = basil.status_favourite(original["id"])
    assert favourited["favourited"] is True
    boost = basil.status_reblog(original["id"])
    assert str(boost["reblog"]["id"]) == str(original["id"])
    assert boost["reblog"]["reblogged"] is True

    context = fern.status_context(original["id"])
    assert str(reply["id"]) in _ids(context["descendants"])
    again = basil.status(original["id"])
    assert again["favourited"] is True and again["reblogged"] is True
    assert again["favourites_count"] == 1 and again["reblogs_count"] == 1

    def from_basil() -> set[str]:
        return {n["type"] for n in fern.notifications() if n["account"]["username"] == "mp_basil"}

    kinds = wait_until(
        lambda: (lambda got: got if {"follow", "mention", "favourite", "reblog"} <= got else None)(
            from_basil()
        ),
        timeout=20,
        what="follow, mention, favourite and reblog notifications",
    )
    assert {"follow", "mention", "favourite", "reblog"} <= kinds
    mention = [n for n in fern.notifications(types=["mention"]) if n["status"]]
    assert str(mention[0]["status"]["id"]) == str(reply["id"])


def test_poll_and_vote(fern: Mastodon, basil: Mastodon) -> None:
    poll = fern.make_poll(["Runner beans", "French beans"], expires_in=3600)
    status = fern.status_post("Which beans this year?", poll=poll)
    assert [o["title"] for o in status["poll"]["options"]] == ["Runner beans", "French beans"]
    voted = basil.poll_vote(status["poll"]["id"], [0])
    assert voted["voted"] is True and voted["own_votes"] == [0]
    assert voted["votes_count"] == 1


def test_home_pagination_with_link_headers(fern: Mastodon) -> None:
    for n in range(5):
        fern.status_post(f"Watering rota, day {n + 1}")
    first = fern.timeline_home(limit=2)
    assert len(first) == 2
    second = fern.fetch_next(first)
    assert second and len(second) == 2
    assert int(second[0]["id"]) < int(first[-1]["id"])
    newer = fern.fetch_previous(second)
    assert newer and set(_ids(newer)) <= set(_ids(fern.timeline_home(limit=40)))


# --- streaming -------------------------------------------------------------------------------


class _Collect(StreamListener):
    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def on_update(self, status: Any) -> None:
        self.events.put(("update", status))

    def on_notification(self, notification: Any) -> None:
        self.events.put(("notification", notification))

    def wait_for(self, kind: str, match: Any, timeout: float = 20) -> Any:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got, payload = self.events.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if got == kind and match(payload):
                return payload
        pytest.fail(f"no {kind} event arrived in {timeout:.0f} s")


@pytest.fixture
def sse(basil: Mastodon) -> Iterator[_Collect]:
    listener = _Collect()
    handle = basil.stream_user(listener, run_async=True, reconnect_async=False, timeout=30)
    try:
        yield listener
    finally:
        # close() waits for the stream's next line (a heartbeat); no need to wait with it
        threading.Thread(target=handle.close, daemon=True).start()


def test_stream_user_over_sse(fern: Mastodon, basil: Mastodon, sse: _Collect) -> None:
    import time

    time.sleep(0.5)  # the subscription is open before the post is made
    status = fern.status_post("Frost tonight: cover the dahlias")
    update = sse.wait_for("update", lambda s: str(s["id"]) == str(status["id"]))
    assert update["account"]["username"] == "mp_fern"
    mine = basil.status_post("Thanks for the warning!")
    fern.status_favourite(mine["id"])
    notification = sse.wait_for(
        "notification",
        lambda n: n["type"] == "favourite" and str(n["status"]["id"]) == str(mine["id"]),
    )
    assert notification["account"]["username"] == "mp_fern"


def test_stream_user_over_websocket(site: Site, fern: Mastodon, basil: Mastodon) -> None:
    import websockets

    streaming = site.streaming_url().rstrip("/")
    assert streaming.startswith("ws://")
    token = basil.access_token

    async def journey() -> dict[str, Any]:
        async with websockets.connect(
            f"{streaming}/api/v1/streaming?access_token={token}", open_timeout=10
        ) as socket:
            await socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
            await asyncio.sleep(0.5)
            status = await asyncio.to_thread(fern.status_post, "Seed swap at the hall on Sunday")
            async with asyncio.timeout(20):
                while True:
                    message = json.loads(await socket.recv())
                    if message.get("event") != "update":
                        continue
                    payload = json.loads(message["payload"])
                    if str(payload["id"]) == str(status["id"]):
                        assert message["stream"] == ["user"]
                        return dict(payload)

    payload = run_coroutine(journey())
    assert payload["account"]["username"] == "mp_fern"
    assert payload["content"]
