"""Home feeds: materialized by fan-out jobs, back-filled on follow, cleaned on unfollow."""

from __future__ import annotations

import pytest

from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.feeds.queries import home_feed
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db


def test_followers_get_new_posts_in_home_feed_after_fan_out() -> None:
    author, reader, stranger = make_user("ana"), make_user("ben"), make_user("cy")
    follow(reader, author)
    run_jobs()
    post = make_post(author, "Tomatoes are in.")
    assert [p.pk for p in home_feed(author).posts] == [post.pk]  # own posts appear at once
    run_jobs()
    assert [p.pk for p in home_feed(reader).posts] == [post.pk]
    assert home_feed(stranger).posts == []


def test_following_backfills_and_unfollowing_removes() -> None:
    author, reader = make_user("ana"), make_user("ben")
    old = [make_post(author, f"Old post {i}") for i in range(3)]
    follow(reader, author)
    run_jobs()
    assert [p.pk for p in home_feed(reader).posts] == [p.pk for p in reversed(old)]
    from townsquare.graph.actions import unfollow

    unfollow(reader, author)
    assert home_feed(reader).posts == []


def test_fan_out_runs_in_batches_and_skips_those_who_unfollowed(settings) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "FANOUT_BATCH_SIZE": 2}
    author = make_user("ana")
    readers = [make_user(f"reader{i}") for i in range(5)]
    for reader in readers:
        follow(reader, author)
    run_jobs()
    post = make_post(author, "Seed swap on Saturday", visibility=Visibility.FOLLOWERS)
    from townsquare.graph.actions import unfollow

    unfollow(readers[0], author)  # after posting, before the fan-out job ran
    run_jobs()
    assert home_feed(readers[0]).posts == []
    for reader in readers[1:]:
        assert [p.pk for p in home_feed(reader).posts] == [post.pk]


def test_home_feed_pages_by_cursor_newest_first() -> None:
    author = make_user("ana")
    posts = [make_post(author, f"Post {i}") for i in range(5)]
    first = home_feed(author, limit=2)
    assert [p.pk for p in first.posts] == [posts[4].pk, posts[3].pk]
    second = home_feed(author, max_id=first.next_max_id, limit=2)
    assert [p.pk for p in second.posts] == [posts[2].pk, posts[1].pk]
    third = home_feed(author, max_id=second.next_max_id, limit=2)
    assert [p.pk for p in third.posts] == [posts[0].pk]
    assert third.next_max_id is None


def test_home_feeds_are_capped_newest_kept(settings) -> None:
    from townsquare.feeds.actions import trim_home
    from townsquare.feeds.models import TimelineEntry

    author = make_user("ana")
    posts = [make_post(author, f"Seed count {i}") for i in range(30)]
    assert trim_home(author.pk, keep=25) == 5
    kept = list(TimelineEntry.objects.filter(owner=author).values_list("post_id", flat=True))
    assert sorted(kept) == sorted(p.pk for p in posts[5:])
    assert trim_home(author.pk, keep=25) == 0


def test_fan_out_trims_the_feeds_it_writes_to(settings, monkeypatch) -> None:
    from townsquare.feeds import tasks
    from townsquare.feeds.models import TimelineEntry

    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "HOME_FEED_CAP": 20}
    monkeypatch.setattr(tasks, "TRIM_EVERY", 1)  # trim on every delivery, to see it happen
    author, reader = make_user("ana"), make_user("ben")
    follow(reader, author)
    run_jobs()
    posts = [make_post(author, f"Daily weather {i}") for i in range(30)]
    run_jobs()
    kept = set(TimelineEntry.objects.filter(owner=reader).values_list("post_id", flat=True))
    assert kept == {p.pk for p in posts[10:]}
