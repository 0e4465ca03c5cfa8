"""Live updates for the site's own pages (not Mastodon's streaming API).

A signed-in page opens one server-sent-events connection to the streaming server
(`/live/events`, authenticated by the session cookie). It hears three bus keys of its member:

- `user:<id>` (only `update`): something new arrived in the home feed (the same events the
  Mastodon "user" stream carries; the page fetches the new entries itself);
- `user:notification:<id>` (only `notification`): a new notification;
- `web:<id>` (`live`): what only pages show: a direct message, someone typing, a message read.
  Its payload is a small JSON document: {"kind": "message" | "typing" | "read", ...}.

Each `live` event names the members it involves, so a member someone blocked or muted never
reaches the other's page (the streaming server filters on them, as for every stream).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import orjson
from django.db import transaction

from townsquare.realtime import bus
from townsquare.realtime.streams import Stream

logger = logging.getLogger(__name__)

LIVE = "live"


def page_key(member_id: int) -> str:
    return f"web:{member_id}"


def page_streams(member_id: int) -> list[Stream]:
    """What a member's open page listens to."""
    return [
        Stream("web", ("web",), page_key(member_id), frozenset({LIVE})),
        Stream("user", ("user",), f"user:{member_id}", frozenset({"update"})),
        Stream(
            "user:notification",
            ("user:notification",),
            f"user:notification:{member_id}",
            frozenset({"notification"}),
        ),
    ]


def tell_pages(
    member_ids: Iterable[int], kind: str, *, involves: Iterable[int], **data: Any
) -> None:
    """Tell these members' open pages that `kind` happened, once the current transaction
    commits (at once outside one). A failure is logged; it never undoes the write."""
    keys = [page_key(member_id) for member_id in dict.fromkeys(member_ids)]
    if not keys:
        return
    payload = orjson.dumps({"kind": kind, **data}).decode()
    accounts = tuple(involves)

    def send() -> None:
        try:
            bus.publish(LIVE, payload, keys, accounts=accounts)
        except Exception:
            logger.exception("telling pages about %s failed", kind)

    transaction.on_commit(send)
