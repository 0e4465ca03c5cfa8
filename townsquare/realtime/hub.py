"""One streaming process's connections: who listens to which bus key, and the delivery of
each event from the bus to their queues (filtered per member)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from townsquare.realtime import bus
from townsquare.realtime.streams import Stream

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_QUEUED = 1000  # events waiting for a slow client before it is disconnected
RECENT = 256  # status ids remembered per connection, so a post is not delivered twice
SILENCED_TTL = 30.0  # seconds a member's block and mute list is kept before it is read again
VISITORS_TTL = 30.0  # seconds the list of members hidden from visitors is kept

# Database work (token checks, block and mute lists) runs here, off the event loop; a few
# threads, so there are a few database connections at most.
_db_pool = ThreadPoolExecutor(4, thread_name_prefix="realtime-db")


def _with_connection(func: Any, *args: Any) -> Any:
    from django.db import close_old_connections

    close_old_connections()  # drops a connection that is too old or broken
    return func(*args)


async def in_thread(func: Any, *args: Any) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_db_pool, _with_connection, func, *args)


def _silenced_ids(user_id: int) -> frozenset[int]:
    from townsquare.graph.queries import silenced_ids

    return frozenset(silenced_ids(user_id))


_STATUS_ID = re.compile(r'\{"id":"(\d+)"')


def _status_id(event: bus.Event) -> str | None:
    """The id of the status an `update` carries (the first field of its JSON)."""
    found = _STATUS_ID.match(event.payload)
    return found.group(1) if found else None


def _hidden_from_visitors() -> frozenset[int]:
    from townsquare.accounts.models import User

    return frozenset(User.objects.filter(show_posts_to_visitors=False).values_list("pk", flat=True))


class VisitorRule:
    """The members whose posts visitors without an account may not see, for the connections
    opened without a token: read again when a member's choice changes (announced on the bus)
    and at least every VISITORS_TTL seconds."""

    def __init__(self) -> None:
        self.hidden: frozenset[int] = frozenset()
        self.read_at = float("-inf")
        self.changes = 0
        self.changes_read = 0

    async def current(self) -> frozenset[int] | None:
        """The members hidden from visitors; None when they could not be read (then nothing
        of anyone may go to a visitor)."""
        if self.changes != self.changes_read or time.monotonic() - self.read_at > VISITORS_TTL:
            changes = self.changes
            try:
                self.hidden = await in_thread(_hidden_from_visitors)
            except Exception:
                logger.exception("reading who keeps their posts from visitors failed")
                return None
            self.read_at, self.changes_read = time.monotonic(), changes
        return self.hidden if self.changes == self.changes_read else None


VISITORS = VisitorRule()


class Listener:
    """One connection: its streams, its member's silenced accounts, a queue of messages."""

    def __init__(self, user_id: int | None) -> None:
        self.user_id = user_id
        self.streams: dict[str, list[Stream]] = {}
        self.queue: asyncio.Queue[tuple[Stream, bus.Event] | None] = asyncio.Queue()
        self.closed = False
        self.silenced: frozenset[int] = frozenset()
        self.silenced_at = 0.0
        self.changes = 0  # block and mute changes announced on the bus ...
        self.changes_read = 0  # ... and how many of them the list read last includes
        self.recent: dict[tuple[str, str], None] = {}  # (stream key, status id), oldest first

    @property
    def stale(self) -> bool:
        """The member's block or mute list changed since it was last read."""
        return self.changes != self.changes_read

    async def refresh_silenced(self, *, force: bool = False) -> None:
        """Read the member's block and mute list again when it changed (`stale`), when
        `force`d, or when it is older than SILENCED_TTL (a missed change still lands)."""
        if self.user_id is None:
            return
        if force or self.stale or time.monotonic() - self.silenced_at > SILENCED_TTL:
            self.silenced_at = time.monotonic()
            changes = self.changes  # a change announced during the read is read again
            try:
                self.silenced = await in_thread(_silenced_ids, self.user_id)
            except Exception:
                logger.exception("reading blocks and mutes for streaming failed")
            else:
                self.changes_read = changes

    def admits(self, event: bus.Event) -> bool:
        """Whether the event involves no one the member blocked, was blocked by, or muted
        (one's own posts always arrive)."""
        return (
            not self.silenced
            or self.silenced.isdisjoint(event.accounts)
            or self.user_id in event.accounts
        )

    async def deliverable(
        self, batch: list[tuple[Stream, bus.Event]]
    ) -> list[tuple[Stream, bus.Event]]:
        """What of `batch` may go out now: checked again against the block and mute list,
        read afresh first if it changed since the events were queued. A visitor (no member)
        gets nothing that involves a member who keeps their posts from visitors."""
        if self.user_id is None:
            hidden = await VISITORS.current()
            if hidden is None:
                hidden = await VISITORS.current()  # a change was announced during the read
            if hidden is None:
                return []
            return [item for item in batch if hidden.isdisjoint(item[1].accounts)]
        for _attempt in range(3):  # read when stale or older than SILENCED_TTL, and again
            await self.refresh_silenced()  # if a change was announced during the read
            if not self.stale:
                break
        if self.stale:  # the list could not be read: only the member's own events go out
            return [item for item in batch if self.user_id in item[1].accounts]
        return [item for item in batch if self.admits(item[1])]

    def offer(self, key: str, event: bus.Event) -> None:
        if self.closed:
            return
        if event.event == bus.SILENCED:
            self.changes += 1  # read again before anything more is delivered
            return
        if not self.stale and not self.admits(event):
            return  # (while the list is stale, deliverable() decides)
        ref = _status_id(event) if event.event == "update" else None
        for stream in self.streams.get(key, ()):
            if stream.events is not None and event.event not in stream.events:
                continue
            if ref is not None:
                # A post can reach one home feed twice (a mention and a follow, a retried
                # fan-out batch): each stream shows it once.
                seen = (stream.key, ref)
                if seen in self.recent:
                    continue
                self.recent[seen] = None
                if len(self.recent) > RECENT:
                    del self.recent[next(iter(self.recent))]
            if self.queue.qsize() >= MAX_QUEUED:
                logger.warning("a streaming client fell too far behind; disconnecting it")
                self.close()
                return
            self.queue.put_nowait((stream, event))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)

    async def next(self, timeout: float) -> list[tuple[Stream, bus.Event]] | None:
        """The waiting messages (at least one), [] after `timeout` seconds without any, or
        None once closed."""
        if self.closed and self.queue.empty():
            return None
        try:
            first = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return []
        items = [first]
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        if any(item is None for item in items):
            return None
        return [item for item in items if item is not None]


class Hub:
    """The bus follower and the subscription table of this process."""

    def __init__(self) -> None:
        self.subscribers: dict[str, set[Listener]] = {}
        self.stopping = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.pending: set[asyncio.Task[None]] = set()  # deliveries to a broadcaster's followers

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(
                bus.follow(self.dispatch, self.stopping)
            )

    async def stop(self) -> None:
        self.stopping.set()
        if self.task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.task, 3)
            self.task = None
        for listeners in list(self.subscribers.values()):
            for listener in list(listeners):
                listener.close()

    def dispatch(self, event: bus.Event) -> None:
        if event.event == bus.VISITORS_CHANGED:
            VISITORS.changes += 1
            return
        for key in event.streams:
            if key.startswith(bus.FOLLOWERS_PREFIX):
                self._to_followers(key, event)
                continue
            for listener in tuple(self.subscribers.get(key, ())):
                listener.offer(key, event)

    def _to_followers(self, key: str, event: bus.Event) -> None:
        """A broadcaster's post: to the home streams of the connected members who follow the
        author (found in a thread; the events after it are not held up meanwhile)."""
        connected = [
            int(name[5:])
            for name in self.subscribers
            if name.startswith("user:") and name[5:].isdigit()
        ]
        if not connected:
            return

        async def deliver() -> None:
            from townsquare.feeds import broadcasters

            try:
                members = await in_thread(broadcasters.receivers, key, connected)
            except Exception:
                logger.exception("finding the followers of a streamed post failed")
                return
            for member in members:
                home = f"user:{member}"
                for listener in tuple(self.subscribers.get(home, ())):
                    listener.offer(home, event)

        task = asyncio.get_running_loop().create_task(deliver())
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    def attach(self, listener: Listener) -> None:
        """A new connection: from now on it hears of changes to its member's blocks and mutes
        (call before its first `refresh_silenced`, so no change falls between the two)."""
        if listener.user_id is not None:
            self.subscribers.setdefault(bus.silencing_key(listener.user_id), set()).add(listener)

    def subscribe(self, listener: Listener, stream: Stream) -> None:
        wanted = listener.streams.setdefault(stream.key, [])
        if stream not in wanted:
            wanted.append(stream)
        self.subscribers.setdefault(stream.key, set()).add(listener)

    def unsubscribe(self, listener: Listener, stream: Stream) -> None:
        wanted = listener.streams.get(stream.key, [])
        if stream in wanted:
            wanted.remove(stream)
        if not wanted:
            listener.streams.pop(stream.key, None)
            self._drop(listener, stream.key)

    def remove(self, listener: Listener) -> None:
        listener.close()
        for key in list(listener.streams):
            self._drop(listener, key)
        listener.streams.clear()
        if listener.user_id is not None:
            self._drop(listener, bus.silencing_key(listener.user_id))

    def _drop(self, listener: Listener, key: str) -> None:
        listeners = self.subscribers.get(key)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self.subscribers[key]

    def connections(self) -> int:
        return len({id(x) for listeners in self.subscribers.values() for x in listeners})
