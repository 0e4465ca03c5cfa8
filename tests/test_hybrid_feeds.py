"""Hybrid home feeds: broadcasters read at read time, no fan-out to members away for long (their
feed is rebuilt when they return), and feeds capped (tests/test_feeds.py covers the cap)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tests.aio import run as run_coroutine
from tests.api.conftest import api_as
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.feeds import actions as feed_actions
from townsquare.feeds import broadcasters
from townsquare.feeds.models import TimelineEntry
from townsquare.feeds.queries import LiveCursor, home_feed, home_feed_since, live_cursor
from townsquare.graph import actions as graph_actions
from townsquare.graph.models import Follow
from townsquare.posts import actions as post_actions
from townsquare.realtime import bus
from townsquare.realtime.hub import Hub, Listener
from townsquare.realtime.streams import Stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_threshold(settings):
    """Broadcasters from 3 followers on, so a test needs only a few members."""
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "BROADCAST_FOLLOWERS": 3}
    cache.delete(broadcasters.CACHE_KEY)
    broadcasters.forget_local()
    yield
    cache.delete(broadcasters.CACHE_KEY)
    broadcasters.forget_local()


def _ids(posts) -> list[int]:
    return [post.id for post in posts]


def _club(n: int = 3) -> tuple[User, list[User]]:
    """The chess society's announcements account and `n` members who follow it."""
    society = make_user("chess_society")
    members = [make_user(f"player{i}") for i in range(n)]
    for member in members:
        follow(member, society)
    run_jobs()
    return society, members


def _entries(post_id: int) -> set[int]:
    return set(TimelineEntry.objects.filter(post_id=post_id).values_list("owner_id", flat=True))


# --- broadcasters ----------------------------------------------------------------------------


def test_an_account_at_the_threshold_is_read_at_read_time_not_fanned_out(small_threshold) -> None:
    society, members = _club(3)
    post = make_post(society, "Club night moves to Thursday.")
    run_jobs()
    assert User.objects.get(pk=society.pk).broadcast
    assert _entries(post.pk) == {society.pk}  # only the author's own feed
    for member in members:
        assert _ids(home_feed(member).posts) == [post.pk]
    # The API's home timeline shows it too (the same read).
    statuses = api_as(members[0]).get("/api/v1/timelines/home").json()
    assert [s["id"] for s in statuses] == [str(post.pk)]


def test_below_the_threshold_posts_are_fanned_out(small_threshold) -> None:
    society, members = _club(2)
    post = make_post(society, "Puzzle of the week: mate in two.")
    run_jobs()
    assert not User.objects.get(pk=society.pk).broadcast
    assert _entries(post.pk) == {society.pk, *(m.pk for m in members)}


def test_pulled_and_stored_posts_page_together_in_order(small_threshold) -> None:
    """Mastodon's cursors page the merged feed without gaps or repeats."""
    society, members = _club(3)
    reader = members[0]
    neighbour = make_user("rook_fan")
    follow(reader, neighbour)
    run_jobs()
    made = []
    for i in range(9):
        author = society if i % 2 else neighbour
        made.append(make_post(author, f"Opening study {i}").pk)
        run_jobs()
    newest_first = list(reversed(made))
    assert _ids(home_feed(reader, limit=20).posts) == newest_first
    first = home_feed(reader, limit=4)
    assert _ids(first.posts) == newest_first[:4]
    second = home_feed(reader, limit=4, max_id=first.next_max_id)
    assert _ids(second.posts) == newest_first[4:8]
    # min_id reads upwards from a cursor: the 4 just newer than it, newest first.
    assert _ids(home_feed(reader, limit=4, min_id=made[1]).posts) == list(reversed(made[2:6]))
    assert _ids(home_feed(reader, limit=20, since_id=made[6]).posts) == newest_first[:2]
    # Through the API, following the Link header's next page.
    api = api_as(reader)
    page = api.get("/api/v1/timelines/home?limit=5")
    assert [s["id"] for s in page.json()] == [str(i) for i in newest_first[:5]]
    older = api.get(f"/api/v1/timelines/home?limit=5&max_id={newest_first[4]}").json()
    assert [s["id"] for s in older] == [str(i) for i in newest_first[5:]]


def test_posts_from_before_the_threshold_show_once(small_threshold) -> None:
    society, members = _club(2)
    early = make_post(society, "Founded today!")
    run_jobs()
    late_member = make_user("late_member")
    follow(late_member, society)
    run_jobs()
    later = make_post(society, "Our third member joined.")
    run_jobs()
    assert User.objects.get(pk=society.pk).broadcast
    assert _ids(home_feed(members[0]).posts) == [later.pk, early.pk]


def test_the_fan_out_rules_hold_for_pulled_posts(small_threshold) -> None:
    """Replies to others reach only those who follow both; shares skip followers who turned
    the author's shares off; an unfollow, a mute or a block takes the posts away at once."""
    society, (ana, ben, cal) = _club(3)
    outsider = make_user("outsider")
    follow(ana, outsider)
    run_jobs()
    question = make_post(outsider, "Anyone for blitz?")
    reply = post_actions.create_post(society, text="We are!", in_reply_to=question)
    shared_from = make_post(outsider, "Tournament results are up.")
    share = post_actions.share(society, shared_from)
    run_jobs()
    Follow.objects.filter(follower=ben, followee=society).update(show_reblogs=False)
    assert reply.pk in _ids(home_feed(ana).posts)
    assert reply.pk not in _ids(home_feed(ben).posts)
    assert share.pk in _ids(home_feed(ana).posts)
    assert share.pk not in _ids(home_feed(ben).posts)
    graph_actions.unfollow(cal, society)
    assert home_feed(cal).posts == []
    graph_actions.mute(ana, society)
    assert society.pk not in {p.author_id for p in home_feed(ana).posts}
    graph_actions.block(society, ben)
    assert home_feed(ben).posts == []


def test_an_account_that_falls_below_the_line_is_fanned_out_again(small_threshold) -> None:
    society, members = _club(3)
    post = make_post(society, "Simultaneous exhibition on Sunday.")
    run_jobs()
    assert User.objects.get(pk=society.pk).broadcast
    graph_actions.unfollow(members[2], society)
    graph_actions.unfollow(members[1], society)
    make_post(society, "Fewer of us now.")  # the next fan-out sees 1 follower
    run_jobs()
    assert not User.objects.get(pk=society.pk).broadcast
    assert members[0].pk in _entries(post.pk)  # the recent posts were fanned out again
    assert _ids(home_feed(members[0]).posts)[-1] == post.pk


def test_live_updates_bring_a_broadcasters_new_posts(small_threshold) -> None:
    society, (reader, *_rest) = _club(3)
    start = live_cursor(home_feed(reader).posts)
    post = make_post(society, "Board 3 needs a player.")
    run_jobs()
    arrived = home_feed_since(reader, start)
    assert _ids(arrived) == [post.pk]
    after = live_cursor(arrived, start)
    assert home_feed_since(reader, after) == []
    assert LiveCursor.parse(str(after)) == after
    # The web page's poller carries the same cursor.
    client = Client()
    client.force_login(reader)
    page = client.get(f"/home/new?since={start}").content.decode()
    assert f'id="post-{post.pk}"' in page and f"since={after}" in page


def test_the_streaming_key_reaches_the_connected_followers_only(small_threshold) -> None:
    society, (ana, ben, _cal) = _club(3)
    stranger = make_user("stranger")
    key = broadcasters.followers_key(society.pk, share=False, reply_to=None)
    assert broadcasters.receivers(key, [ana.pk, stranger.pk]) == [ana.pk]
    Follow.objects.filter(follower=ben, followee=society).update(show_reblogs=False)
    share_key = broadcasters.followers_key(society.pk, share=True, reply_to=None)
    assert broadcasters.receivers(share_key, [ana.pk, ben.pk]) == [ana.pk]
    reply_key = broadcasters.followers_key(society.pk, share=False, reply_to=stranger.pk)
    follow(ben, stranger)
    assert broadcasters.receivers(reply_key, [ana.pk, ben.pk]) == [ben.pk]


def test_the_hub_hands_a_broadcasters_post_to_its_followers_home_streams(monkeypatch) -> None:
    asked: list[tuple[str, list[int]]] = []

    def receivers(key: str, candidates: list[int]) -> list[int]:
        asked.append((key, sorted(candidates)))
        return [1]

    monkeypatch.setattr(broadcasters, "receivers", receivers)
    key = broadcasters.followers_key(9, share=False, reply_to=None)

    async def scenario() -> tuple[list[str], list[str]]:
        hub = Hub()
        follower, other = Listener(user_id=1), Listener(user_id=2)
        hub.subscribe(follower, Stream("user", ("user",), "user:1"))
        hub.subscribe(other, Stream("user", ("user",), "user:2"))
        hub.dispatch(bus.Event("update", '{"id":"5"}', (key,), frozenset({9})))
        for task in list(hub.pending):
            await task
        got = [e.payload for _s, e in await follower.next(0.5) or []]
        missed = [e.payload for _s, e in await other.next(0.05) or []]
        hub.remove(follower)
        hub.remove(other)
        return got, missed

    got, missed = run_coroutine(scenario())
    assert got == ['{"id":"5"}'] and missed == []
    assert asked == [(key, [1, 2])]


# --- members away for long -------------------------------------------------------------------


def _away(member: User, days: int) -> None:
    User.objects.filter(pk=member.pk).update(active_on=timezone.localdate() - dt.timedelta(days))


def test_fan_out_skips_members_away_longer_than_the_setting() -> None:
    author = make_user("gardening_club")
    present, away, new = make_user("present"), make_user("away"), make_user("new")
    for member in (present, away, new):
        follow(member, author)
    run_jobs()
    _away(present, 29)
    _away(away, 31)  # TOWNSQUARE_INACTIVE_DAYS is 30
    post = make_post(author, "Compost delivery on Friday.")
    run_jobs()
    # (A member whose day was never recorded counts as active.)
    assert _entries(post.pk) == {author.pk, present.pk, new.pk}


def test_a_member_who_returns_on_the_web_finds_their_feed_rebuilt() -> None:
    author, neighbour = make_user("gardening_club"), make_user("neighbour")
    away = make_user("away")
    follow(away, author)
    follow(away, neighbour)
    run_jobs()
    _away(away, 40)
    posts = [make_post(author, "Seed swap moved indoors."), make_post(neighbour, "Spare pots!")]
    run_jobs()
    assert not TimelineEntry.objects.filter(owner=away).exists()
    client = Client()
    client.force_login(away)
    page = client.get("/").content.decode()
    for post in posts:
        assert f'id="post-{post.pk}"' in page
    assert User.objects.get(pk=away.pk).active_on == timezone.localdate()
    # From now on the member is active: fan-out reaches them again.
    newer = make_post(author, "Rain barrels arrived.")
    run_jobs()
    assert away.pk in _entries(newer.pk)


def test_a_member_who_returns_through_an_app_finds_their_feed_rebuilt() -> None:
    author, away = make_user("gardening_club"), make_user("away")
    follow(away, author)
    run_jobs()
    _away(away, 90)
    post = make_post(author, "Workshop: pruning roses.")
    run_jobs()
    statuses = api_as(away).get("/api/v1/timelines/home").json()
    assert [s["id"] for s in statuses] == [str(post.pk)]


def test_the_rebuild_follows_the_fan_out_rules_and_the_cap(settings) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "HOME_FEED_CAP": 20}
    author, other, away = make_user("gardening_club"), make_user("other"), make_user("away")
    follow(away, author)
    run_jobs()
    _away(away, 40)
    stranger_post = make_post(other, "Who has a ladder?")
    reply = post_actions.create_post(author, text="We do!", in_reply_to=stranger_post)
    posts = [make_post(author, f"Planting plan, bed {i}") for i in range(25)]
    run_jobs()
    assert feed_actions.touch(User.objects.get(pk=away.pk))
    stored = set(TimelineEntry.objects.filter(owner=away).values_list("post_id", flat=True))
    assert stored == {p.pk for p in posts[5:]}  # the newest 20
    assert reply.pk not in stored
    assert not feed_actions.touch(User.objects.get(pk=away.pk))  # once a day
