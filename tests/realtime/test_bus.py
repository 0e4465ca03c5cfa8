"""The event bus (both transports), what the write side publishes, and per-connection
delivery rules. The live server tests (test_streaming_live.py) cover the wire."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from tests.aio import run as run_coroutine
from tests.factories import follow, make_user, run_jobs
from townsquare.core.ids import id_for_time
from townsquare.graph import actions as graph
from townsquare.posts import actions as posts
from townsquare.posts.models import Visibility
from townsquare.realtime import bus
from townsquare.realtime.hub import Hub, Listener
from townsquare.realtime.streams import Stream, StreamError, resolve


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[bus.Event]:
    """Every event published (instead of sending it)."""
    sent: list[bus.Event] = []

    def capture(event: str, payload: str, streams: Any, *, accounts: Any = ()) -> None:
        sent.append(bus.Event(event, payload, tuple(streams), frozenset(accounts)))

    monkeypatch.setattr(bus, "publish", capture)
    return sent


# --- transports ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_published_events_reach_a_follower_of_the_bus() -> None:
    """Whichever transport is configured (table embedded, Redis stream with Redis)."""
    received: list[bus.Event] = []

    async def scenario() -> None:
        stopping = asyncio.Event()
        follower = asyncio.create_task(bus.follow(received.append, stopping))
        await asyncio.sleep(0.5)  # the follower has started reading
        publisher = threading.Thread(
            target=lambda: bus.publish("update", '{"id":"1"}', ["public", "user:7"], accounts=[7])
        )
        publisher.start()
        publisher.join()
        for _ in range(40):
            if received:
                break
            await asyncio.sleep(0.1)
        stopping.set()
        await asyncio.wait_for(follower, 5)

    run_coroutine(scenario())
    assert received == [bus.Event("update", '{"id":"1"}', ("public", "user:7"), frozenset({7}))]


@pytest.mark.django_db
def test_table_reader_sees_each_event_once_and_late_commits() -> None:
    if bus.using_redis():
        pytest.skip("the events table is the embedded transport")
    from townsquare.realtime.models import RealtimeEvent

    reader = bus.TableReader(since=time.time() - 3)
    bus.publish("update", "{}", ["public"])
    assert [e.streams for e in reader.poll()] == [("public",)]
    assert reader.poll() == []
    # A row whose id is older than one already read (committed late by another process).
    RealtimeEvent.objects.create(
        id=id_for_time(time.time() - 2), event="delete", payload="5", streams="public"
    )
    assert [(e.event, e.payload) for e in reader.poll()] == [("delete", "5")]


@pytest.mark.django_db
def test_old_events_are_pruned() -> None:
    from townsquare.realtime.models import RealtimeEvent

    RealtimeEvent.objects.create(
        id=id_for_time(time.time() - 3600), event="update", payload="{}", streams="public"
    )
    RealtimeEvent.objects.create(event="update", payload="{}", streams="public")
    assert bus.prune_events() == 1
    assert RealtimeEvent.objects.count() == 1


# --- producers -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_public_post_goes_home_public_and_to_its_hashtag(
    published: list[bus.Event], django_capture_on_commit_callbacks: Any
) -> None:
    rosa, basil = make_user("rosa"), make_user("basil")
    follow(basil, rosa)
    with django_capture_on_commit_callbacks(execute=True):
        post = posts.create_post(rosa, text="Seed swap on Saturday #gardening")
    [event] = published
    assert event.event == "update"
    assert set(event.streams) == {
        f"user:{rosa.pk}",
        "public",
        "public:local",
        "hashtag:gardening",
        "hashtag:local:gardening",
    }
    assert rosa.pk in event.accounts
    assert '"favourited"' not in event.payload
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs()  # fan-out
    assert [(e.event, e.streams) for e in published] == [("update", (f"user:{basil.pk}",))]
    assert f'"id":"{post.pk}"' in published[0].payload


@pytest.mark.django_db
def test_a_followers_only_post_stays_off_public_streams(
    published: list[bus.Event], django_capture_on_commit_callbacks: Any
) -> None:
    rosa = make_user("rosa")
    with django_capture_on_commit_callbacks(execute=True):
        posts.create_post(rosa, text="Members only #gardening", visibility=Visibility.FOLLOWERS)
    assert [e.streams for e in published] == [(f"user:{rosa.pk}",)]
    assert '"visibility":"private"' in published[0].payload


@pytest.mark.django_db
def test_a_mention_streams_a_notification(
    published: list[bus.Event], django_capture_on_commit_callbacks: Any
) -> None:
    rosa, basil = make_user("rosa"), make_user("basil")
    with django_capture_on_commit_callbacks(execute=True):
        posts.create_post(rosa, text="@basil the chess club meets at six")
    [note] = [e for e in published if e.event == "notification"]
    assert set(note.streams) == {f"user:{basil.pk}", f"user:notification:{basil.pk}"}
    assert '"type":"mention"' in note.payload


@pytest.mark.django_db
def test_a_deleted_post_is_withdrawn_from_every_home_that_had_it(
    published: list[bus.Event], django_capture_on_commit_callbacks: Any
) -> None:
    rosa, basil = make_user("rosa"), make_user("basil")
    follow(basil, rosa)
    post = posts.create_post(rosa, text="Oops #chess")
    post_id = post.pk
    run_jobs()
    with django_capture_on_commit_callbacks(execute=True):
        posts.delete_post(rosa, post)
    [event] = published
    assert (event.event, event.payload) == ("delete", str(post_id))
    assert {f"user:{basil.pk}", f"user:{rosa.pk}", "public", "hashtag:chess"} <= set(event.streams)


# --- streams and delivery ------------------------------------------------------------------


def test_stream_names() -> None:
    def allow(scope: str) -> bool:
        return scope == "read:statuses"

    def go(name: str, **params: str) -> Stream:
        return resolve(name, params, user_id=3, allows=allow, owns_list=lambda u, i: False)

    assert go("user").key == "user:3"
    assert go("public", only_media="true").key == "public:media"
    assert go("hashtag", tag="#Garden").label == ("hashtag", "garden")
    assert go("hashtag:local", tag="garden").key == "hashtag:local:garden"
    for name, params, status in [
        ("user:notification", {}, 401),  # no read:notifications
        ("nonsense", {}, 400),
        ("hashtag", {}, 400),
        ("list", {"list": "9"}, 400),  # not one of the member's lists
    ]:
        with pytest.raises(StreamError) as error:
            go(name, **params)
        assert error.value.status == status
    with pytest.raises(StreamError) as anonymous:
        resolve("user", {}, user_id=None, allows=allow, owns_list=lambda u, i: False)
    assert anonymous.value.status == 401


def test_delivery_skips_silenced_members_and_repeats() -> None:
    async def scenario() -> list[tuple[Stream, bus.Event]]:
        hub = Hub()
        listener = Listener(user_id=1)
        listener.silenced = frozenset({66})
        hub.subscribe(listener, Stream("user", ("user",), "user:1"))
        hub.dispatch(bus.Event("update", '{"id":"5"}', ("user:1",), frozenset({2})))
        hub.dispatch(bus.Event("update", '{"id":"5"}', ("user:1",), frozenset({2})))  # again
        hub.dispatch(bus.Event("update", '{"id":"6"}', ("user:1",), frozenset({66})))
        hub.dispatch(bus.Event("update", '{"id":"7"}', ("public",), frozenset({2})))
        hub.dispatch(bus.Event("delete", "5", ("user:1",), frozenset()))
        got = await listener.next(0.1)
        hub.remove(listener)
        assert hub.subscribers == {}
        return got or []

    got = run_coroutine(scenario())
    assert [(e.event, e.payload) for _s, e in got] == [("update", '{"id":"5"}'), ("delete", "5")]


def test_a_changed_block_or_mute_list_is_read_again_before_anything_more_is_delivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bus carries "silenced" to the member's own key after a block or mute (or their
    end); events queued meanwhile are checked against the list read afresh."""
    lists = iter([frozenset(), frozenset({66}), frozenset()])
    monkeypatch.setattr("townsquare.realtime.hub._silenced_ids", lambda _uid: next(lists))
    changed = bus.Event(bus.SILENCED, "null", (bus.silencing_key(1),), frozenset())

    def update(post_id: int, *accounts: int) -> bus.Event:
        return bus.Event("update", f'{{"id":"{post_id}"}}', ("public",), frozenset(accounts))

    async def scenario() -> tuple[list[str], list[str], dict[str, set[Listener]]]:
        hub = Hub()
        listener = Listener(user_id=1)
        hub.attach(listener)
        await listener.refresh_silenced(force=True)  # as a connection opens: nobody silenced
        hub.subscribe(listener, Stream("public", ("public",), "public"))
        hub.dispatch(update(5, 66))  # queued before the mute
        hub.dispatch(changed)  # member 1 mutes member 66
        hub.dispatch(update(6, 66))
        hub.dispatch(update(7, 1, 66))  # the member's own post, mentioning 66
        hub.dispatch(update(8, 2))
        sent = [e.payload for _s, e in await listener.deliverable(await listener.next(0.1) or [])]
        hub.dispatch(changed)  # ... and unmutes them
        hub.dispatch(update(9, 66))  # offered while the list in hand still has 66
        again = [e.payload for _s, e in await listener.deliverable(await listener.next(0.1) or [])]
        hub.remove(listener)
        return sent, again, hub.subscribers

    sent, again, left = run_coroutine(scenario())
    assert sent == ['{"id":"7"}', '{"id":"8"}']  # the control event itself never goes out
    assert again == ['{"id":"9"}']
    assert left == {}


def test_when_a_changed_list_cannot_be_read_only_the_members_own_events_go_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(_uid: int) -> frozenset[int]:
        raise RuntimeError("database gone")

    monkeypatch.setattr("townsquare.realtime.hub._silenced_ids", unreadable)

    async def scenario() -> list[str]:
        hub = Hub()
        listener = Listener(user_id=1)
        hub.attach(listener)
        hub.subscribe(listener, Stream("public", ("public",), "public"))
        hub.dispatch(bus.Event(bus.SILENCED, "null", (bus.silencing_key(1),), frozenset()))
        hub.dispatch(bus.Event("update", '{"id":"5"}', ("public",), frozenset({66})))
        hub.dispatch(bus.Event("update", '{"id":"6"}', ("public",), frozenset({1})))
        batch = await listener.next(0.1) or []
        return [event.payload for _s, event in await listener.deliverable(batch)]

    assert run_coroutine(scenario()) == ['{"id":"6"}']


def test_a_change_before_the_first_subscription_is_not_missed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A websocket opened without a stream hears of block and mute changes from the start."""
    lists = iter([frozenset(), frozenset({66})])
    monkeypatch.setattr("townsquare.realtime.hub._silenced_ids", lambda _uid: next(lists))

    async def scenario() -> list[str]:
        hub = Hub()
        listener = Listener(user_id=1)
        hub.attach(listener)
        await listener.refresh_silenced(force=True)
        hub.dispatch(bus.Event(bus.SILENCED, "null", (bus.silencing_key(1),), frozenset()))
        hub.subscribe(listener, Stream("public", ("public",), "public"))  # subscribes later
        hub.dispatch(bus.Event("update", '{"id":"5"}', ("public",), frozenset({66})))
        batch = await listener.next(0.1) or []
        return [event.payload for _s, event in await listener.deliverable(batch)]

    assert run_coroutine(scenario()) == []


def test_a_busy_stream_still_reads_its_list_again_after_the_ttl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A change that never reached the bus (a mute that simply expired, say) lands within
    SILENCED_TTL even on a stream that is never idle long enough for a heartbeat."""
    lists = iter([frozenset({66}), frozenset()])
    monkeypatch.setattr("townsquare.realtime.hub._silenced_ids", lambda _uid: next(lists))
    monkeypatch.setattr("townsquare.realtime.hub.SILENCED_TTL", 0.0)

    async def scenario() -> list[str]:
        hub = Hub()
        listener = Listener(user_id=1)
        hub.attach(listener)
        await listener.refresh_silenced(force=True)  # 66 muted, for now
        hub.subscribe(listener, Stream("public", ("public",), "public"))
        listener.offer("public", bus.Event("update", '{"id":"5"}', ("public",), frozenset({2})))
        listener.queue.put_nowait(
            (
                Stream("public", ("public",), "public"),
                bus.Event("update", '{"id":"6"}', ("public",), frozenset({66})),
            )
        )  # queued before the mute expired
        batch = await listener.next(0.1) or []
        return [event.payload for _s, event in await listener.deliverable(batch)]

    assert run_coroutine(scenario()) == ['{"id":"5"}', '{"id":"6"}']


def test_another_members_block_or_mute_changes_do_not_touch_this_connection() -> None:
    async def scenario() -> bool:
        hub = Hub()
        listener = Listener(user_id=1)
        hub.attach(listener)
        hub.subscribe(listener, Stream("public", ("public",), "public"))
        hub.dispatch(bus.Event(bus.SILENCED, "null", (bus.silencing_key(2),), frozenset()))
        return listener.stale

    assert run_coroutine(scenario()) is False


@pytest.mark.django_db
def test_blocks_and_mutes_tell_the_streams_of_those_they_concern(
    published: list[bus.Event], django_capture_on_commit_callbacks: Any
) -> None:
    rosa, basil, dill = make_user("rosa"), make_user("basil"), make_user("dill")
    with django_capture_on_commit_callbacks(execute=True):
        graph.block(basil, rosa)
        graph.unblock(basil, rosa)
        graph.mute(basil, dill)
        graph.unmute(basil, dill)
    silenced = [e.streams for e in published if e.event == bus.SILENCED]
    both = (bus.silencing_key(basil.pk), bus.silencing_key(rosa.pk))
    muter = (bus.silencing_key(basil.pk),)
    assert silenced == [both, both, muter, muter]


@pytest.mark.django_db
def test_blocked_members_are_silenced_for_streaming() -> None:
    from townsquare.realtime.hub import _silenced_ids

    rosa, basil, dill = make_user("rosa"), make_user("basil"), make_user("dill")
    graph.block(basil, rosa)
    graph.mute(basil, dill)
    assert _silenced_ids(basil.pk) == {rosa.pk, dill.pk}
