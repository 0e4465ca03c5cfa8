#!/usr/bin/env python3
"""What hybrid home feeds cost a read, in one process, on bench/visibility_ab.py's small
seeded SQLite data set (500 members, a reader following 100 of them, 20,000 posts, the
reader's materialized home feed of 400 entries).

    .venv/bin/python bench/hybrid_bench.py [--rounds 30] [--calls 20]

Alternating round by round (so all see the same load), the median microseconds of one home
feed page of 20:
  A  the stored entries only (the read before hybrid feeds: one listing statement);
  B  `feeds.queries.home_feed` on a site without broadcasters (the check is a per-process
     memo of the broadcaster list: no query);
  C  the same while the reader follows 1 and 10 broadcasters (a second listing statement
     over those accounts' posts, merged by id);
and once: rebuilding the feed of a member back after a long absence (`feeds.activity`).
With `--fanout 100000`: one post to that many followers, fanned out and as a broadcaster.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta
from typing import Any

from visibility_ab import setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--posts", type=int, default=20000)
    parser.add_argument(
        "--fanout", type=int, default=0, help="also time a post to this many followers"
    )
    args = parser.parse_args()
    viewer = setup(args.posts)
    from django.utils import timezone

    from townsquare.accounts.models import User
    from townsquare.feeds import actions as feed_actions
    from townsquare.feeds import broadcasters
    from townsquare.feeds.models import TimelineEntry
    from townsquare.feeds.queries import _HOME_SOURCE, _NOT_EXCLUSIVE, home_feed
    from townsquare.graph.models import Follow
    from townsquare.posts.queries import list_posts

    followed = list(
        Follow.objects.filter(follower=viewer)
        .order_by("followee_id")
        .values_list("followee_id", flat=True)
    )

    def stored_only() -> Any:
        return list_posts(
            viewer,
            source=_HOME_SOURCE,
            where=f"t.owner_id = %s AND {_NOT_EXCLUSIVE}",
            params=[viewer.pk, viewer.pk],
            order_column="t.post_id",
            limit=20,
            entry_column="t.id",
        )

    def broadcasting(count: int) -> None:
        User.objects.update(broadcast=False)
        User.objects.filter(pk__in=followed[1 : 1 + count]).update(broadcast=True)
        broadcasters.forget_local()
        from django.core.cache import cache

        cache.delete(broadcasters.CACHE_KEY)

    cases = {
        "A stored entries only": (0, stored_only),
        "B hybrid, no broadcaster": (0, lambda: home_feed(viewer)),
        "C hybrid, 1 broadcaster followed": (1, lambda: home_feed(viewer)),
        "C hybrid, 10 broadcasters followed": (10, lambda: home_feed(viewer)),
    }
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, (count, read) in cases.items():
            broadcasting(count)
            read()  # the memo and the statement cache warm
            start = time.perf_counter()
            for _ in range(args.calls):
                read()
            timings[name].append((time.perf_counter() - start) / args.calls * 1e6)
    for name, values in timings.items():
        print(f"{name}: {statistics.median(values):.0f} us per page of 20")

    broadcasting(0)
    TimelineEntry.objects.filter(owner=viewer).delete()
    away = timezone.localdate() - timedelta(days=40)
    User.objects.filter(pk=viewer.pk).update(active_on=away)
    returning = User.objects.get(pk=viewer.pk)
    start = time.perf_counter()
    rebuilt = feed_actions.touch(returning)
    took = (time.perf_counter() - start) * 1000
    written = TimelineEntry.objects.filter(owner=viewer).count()
    print(f"rebuild after 40 days away: {took:.1f} ms, {written} entries (rebuilt: {rebuilt})")
    if args.fanout:
        fan_out(args.fanout)


def fan_out(followers: int) -> None:
    """One post by an account with `followers` followers, its fan-out jobs run one after
    another in this process (no worker processes: the jobs' own time): written into every
    home feed (the threshold raised above the count), and as a broadcaster (the default
    threshold, when the count reaches it)."""
    from django.conf import settings

    from townsquare.accounts.models import User
    from townsquare.core.jobs import run_pending_jobs
    from townsquare.feeds import broadcasters
    from townsquare.feeds.models import TimelineEntry
    from townsquare.graph.models import Follow
    from townsquare.posts.actions import create_post

    author = User.objects.create(username="town_crier", email="crier@example.org", password="!")
    start = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    readers = [
        User(username=f"reader{n}", email=f"reader{n}@example.org", password="!")
        for n in range(followers)
    ]
    User.objects.bulk_create(readers, batch_size=5000)
    ids = User.objects.filter(pk__gt=start).values_list("pk", flat=True)
    Follow.objects.bulk_create(
        [Follow(follower_id=pk, followee_id=author.pk) for pk in ids], batch_size=5000
    )
    run_pending_jobs()
    for label, threshold in (
        ("fanned out", followers + 1),
        ("as a broadcaster", settings.TOWNSQUARE["BROADCAST_FOLLOWERS"]),
    ):
        settings.TOWNSQUARE = {**settings.TOWNSQUARE, "BROADCAST_FOLLOWERS": threshold}
        User.objects.filter(pk=author.pk).update(broadcast=False)
        broadcasters.forget_local()
        began = time.perf_counter()
        post = create_post(author, text="The market opens at nine.", visibility=0)
        run_pending_jobs()
        took = time.perf_counter() - began
        rows = TimelineEntry.objects.filter(post_id=post.pk).count()
        print(
            f"fan-out to {followers:,} followers, {label}: {took:.2f} s "
            f"(jobs run in turn in one process), {rows:,} home feed rows"
        )


if __name__ == "__main__":
    main()
