"""Streams opened without a token (visitors) never carry the posts of a member who keeps
them from visitors; members' streams do. The change reaches an open stream at once."""

from __future__ import annotations

import asyncio

from tests.realtime.clients import EventStream, post_status
from tests.realtime.conftest import LiveServer
from tests.realtime.test_page_live import _web_post
from tests.realtime.test_streaming_live import has, marker, run


async def _keep_from_visitors(live: LiveServer, name: str, *, hidden: bool) -> None:
    choices = {"message_policy": "1", "connections_visibility": "0"}
    if not hidden:
        choices["show_posts_to_visitors"] = "on"
    await _web_post(live, live.members[name], "/settings/privacy", choices)


def test_a_visitor_stream_leaves_out_members_only_posts(live: LiveServer) -> None:
    dill, rosa, basil = live.members["dill"], live.members["rosa"], live.members["basil"]
    hidden_text, open_text = marker(), marker()

    async def scenario() -> None:
        url = f"{live.streaming}/api/v1/streaming/public"
        async with (
            EventStream(url) as visitor,
            EventStream(url, token=basil["token"]) as member,
        ):
            # The visitor stream has read the rule already (dill still shows his posts) ...
            warm = marker()
            await post_status(live.url, dill["token"], f"Open hives {warm}")
            await visitor.expect("update", has(warm))
            # ... and hears of the change at once.
            await _keep_from_visitors(live, "dill", hidden=True)
            try:
                await post_status(live.url, dill["token"], f"Members-only hives {hidden_text}")
                await post_status(live.url, rosa["token"], f"Open garden day {open_text}")
                await member.expect("update", has(hidden_text))
                # dill posted first: had it leaked, it would be the first of the two here.
                first = await visitor.expect(
                    "update", lambda e: hidden_text in e["content"] or open_text in e["content"]
                )
                assert open_text in first["content"]
                await asyncio.sleep(0.5)
                leaked = [e for kind, e in visitor.drain() if kind == "update"]
                assert all(hidden_text not in e["content"] for e in leaked)
            finally:
                await _keep_from_visitors(live, "dill", hidden=False)
            shown_again = marker()
            await post_status(live.url, dill["token"], f"Open hives {shown_again}")
            await visitor.expect("update", has(shown_again))

    run(scenario())
