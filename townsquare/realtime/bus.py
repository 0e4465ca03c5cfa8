"""The event bus between the write side and the streaming processes.

`publish(event, payload, streams)` is called once a write has committed (see publish.py).
Every streaming process reads every event and hands it to its own connections that listen
to one of the event's streams ("user:12", "user:notification:12", "public", "public:local",
"public:media", "hashtag:garden", "hashtag:local:garden", "list:3", "direct:12").

Two transports, one interface:

- Embedded (no Redis): a table, `RealtimeEvent`. Each streaming process reads it every
  POLL_INTERVAL seconds: one index-only query for the ids of the last LOOKBACK seconds, and
  a second one for the rows it has not seen yet (only when there are some). Reading a window
  rather than "ids above the last one seen" catches a row whose id was taken before another
  process's row but committed after it. A chore deletes events older than KEEP seconds.
- With TOWNSQUARE_REDIS_URL: a Redis stream (XADD with an approximate MAXLEN; each
  streaming process follows it with a blocking XREAD). A stream rather than pub/sub because
  its key lives in the configured Redis database (pub/sub channels are shared by every
  database of a server) and a reader that reconnects resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction

from townsquare.core.ids import id_for_time
from townsquare.core.sql import id_in

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.15  # seconds between two reads of the events table
LOOKBACK = 5.0  # seconds of events re-read by id (late commits)
KEEP = 600.0  # seconds an event stays in the table
REDIS_KEY = "townsquare:realtime"
REDIS_MAXLEN = 10_000


@dataclass(frozen=True, slots=True)
class Event:
    event: str  # "update", "delete", "notification", "status.update", ...
    payload: str  # what the client receives: a JSON document, or a bare id for "delete"
    streams: tuple[str, ...]
    accounts: frozenset[int]  # members involved (author, shared or quoted author, actor)


# A broadcaster's post goes to one key, "followers:<author>:...", rather than one per
# follower; each streaming process finds which of its connected members follow the author
# (feeds.broadcasters).
FOLLOWERS_PREFIX = "followers:"


# An event for the streaming processes themselves, never sent to a client: a member's block
# or mute list changed. It goes to that member's own key.
SILENCED = "silenced"


# Another internal event: a member changed whether visitors without an account see their posts.
VISITORS_CHANGED = "visitors"


def silencing_key(member_id: int) -> str:
    return f"silencing:{member_id}"


def using_redis() -> bool:
    return bool(settings.CONFIG.redis_url)


# --- publishing (sync, from the write side) ------------------------------------------------

_redis_client: Any = None


def _redis() -> Any:
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(str(settings.CONFIG.redis_url), socket_timeout=5)
    return _redis_client


def _encode(event: Event) -> bytes:
    return orjson.dumps(
        {"e": event.event, "p": event.payload, "s": event.streams, "a": sorted(event.accounts)}
    )


def _decode(raw: bytes | str) -> Event:
    data = orjson.loads(raw)
    return Event(data["e"], data["p"], tuple(data["s"]), frozenset(data.get("a", ())))


def publish(
    event: str, payload_json: str, streams: Iterable[str], *, accounts: Iterable[int] = ()
) -> None:
    """Send an event to every streaming process. Call it after the write has committed."""
    keys = tuple(dict.fromkeys(streams))
    if not keys:
        return
    message = Event(event, payload_json, keys, frozenset(accounts))
    if using_redis():
        _redis().xadd(REDIS_KEY, {"v": _encode(message)}, maxlen=REDIS_MAXLEN, approximate=True)
        return
    from townsquare.realtime.models import RealtimeEvent

    # On SQLite the transaction takes the write lock first (BEGIN IMMEDIATE), so the id is
    # drawn while no other process can commit an event: ids then commit in order.
    with transaction.atomic():
        RealtimeEvent.objects.create(
            event=event,
            payload=payload_json,
            streams=" ".join(keys),
            accounts=" ".join(str(a) for a in sorted(message.accounts)),
        )


def prune_events(keep: float = KEEP) -> int:
    """Delete embedded-bus events older than `keep` seconds (a janitor chore)."""
    from townsquare.realtime.models import RealtimeEvent

    deleted, _ = RealtimeEvent.objects.filter(pk__lt=id_for_time(time.time() - keep)).delete()
    return deleted


# --- reading (in the streaming process) ----------------------------------------------------


class TableReader:
    """Reads new events from the table; `poll()` is synchronous (run it in a thread)."""

    def __init__(self, *, since: float | None = None) -> None:
        self.start_id = id_for_time(time.time() if since is None else since)
        self.seen: set[int] = set()

    def poll(self) -> list[Event]:
        low = max(self.start_id - 1, id_for_time(time.time() - LOOKBACK))
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM realtime_realtimeevent WHERE id > %s", [low])
            ids = [row[0] for row in cursor.fetchall()]
            new = sorted(i for i in ids if i not in self.seen)
            rows: list[tuple[Any, ...]] = []
            if new:
                where, params = id_in("id", new)
                cursor.execute(
                    "SELECT id, event, payload, streams, accounts"  # noqa: S608
                    f" FROM realtime_realtimeevent WHERE {where} ORDER BY id",
                    params,
                )
                rows = cursor.fetchall()
        self.seen = {i for i in self.seen if i > low}
        self.seen.update(new)
        return [
            Event(
                event,
                payload,
                tuple(streams.split()),
                frozenset(int(a) for a in (accounts or "").split()),
            )
            for _id, event, payload, streams, accounts in rows
        ]


async def follow_table(deliver: Callable[[Event], None], stopping: asyncio.Event) -> None:
    """Read the events table until `stopping` is set, handing each new event to `deliver`."""
    from concurrent.futures import ThreadPoolExecutor

    reader = TableReader()
    loop = asyncio.get_running_loop()
    # One thread, so the reads share one database connection.
    with ThreadPoolExecutor(1, thread_name_prefix="realtime-poll") as pool:
        while not stopping.is_set():
            try:
                events = await loop.run_in_executor(pool, reader.poll)
            except Exception:
                logger.exception("reading streaming events failed; trying again")
                await loop.run_in_executor(pool, _close_connection)
                events = []
                await _sleep(stopping, 1.0)
            for event in events:
                deliver(event)
            await _sleep(stopping, POLL_INTERVAL)
        await loop.run_in_executor(pool, _close_connection)


def _close_connection() -> None:
    connection.close()  # this thread's connection (the proxy resolves per thread)


async def follow_redis(deliver: Callable[[Event], None], stopping: asyncio.Event) -> None:
    """Follow the Redis stream until `stopping` is set."""
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    client: Any = aioredis.Redis.from_url(str(settings.CONFIG.redis_url))
    last: Any = None
    try:
        while not stopping.is_set():
            try:
                if last is None:
                    newest = await client.xrevrange(REDIS_KEY, count=1)
                    last = newest[0][0] if newest else b"0-0"
                answer: Any = await client.xread({REDIS_KEY: last}, block=1000, count=500)
            except (RedisError, OSError) as exc:
                logger.warning("reading streaming events from Redis failed (%s); retrying", exc)
                await _sleep(stopping, 1.0)
                continue
            for _key, entries in answer or []:
                for entry_id, fields in entries:
                    last = entry_id
                    try:
                        event = _decode(fields[b"v"])
                    except (KeyError, ValueError, TypeError):
                        continue
                    deliver(event)
    finally:
        with contextlib.suppress(Exception):
            await client.aclose()


async def follow(deliver: Callable[[Event], None], stopping: asyncio.Event) -> None:
    """Follow the bus this configuration uses."""
    if using_redis():
        await follow_redis(deliver, stopping)
    else:
        await follow_table(deliver, stopping)


async def _sleep(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
