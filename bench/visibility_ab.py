#!/usr/bin/env python3
"""A/B of the visibility rule in one process: the rule as committed (A, read from `git show
HEAD:townsquare/posts/visibility.py`) against the working tree's (B), alternating, on a small
seeded SQLite data set (members, follows, posts, one member's materialized home feed).

    .venv/bin/python bench/visibility_ab.py [--rounds 30] [--calls 200] [--posts 20000]

Reports the median microseconds per call of building the SQL (`visibility_sql`) and of one
home feed page (the listing statement and its rows, `feeds.queries.home_feed`), for a member
and for a visitor's public timeline. Meant for a loaded machine: A and B alternate round by
round, so both see the same load.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def setup(posts: int) -> Any:
    data = tempfile.mkdtemp(prefix="visibility-ab-")
    for key in [k for k in os.environ if k.startswith("TOWNSQUARE_")]:
        del os.environ[key]
    os.environ["TOWNSQUARE_DATA_DIR"] = data
    os.environ["DJANGO_SETTINGS_MODULE"] = "townsquare.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from townsquare.accounts.models import User
    from townsquare.core.ids import id_for_time
    from townsquare.feeds.models import TimelineEntry
    from townsquare.graph.models import Follow
    from townsquare.posts.models import Post

    rng = random.Random(7)
    users = [
        User(username=f"gardener{i}", email=f"gardener{i}@example.org", password="!")
        for i in range(500)
    ]
    User.objects.bulk_create(users)
    users = list(User.objects.order_by("pk"))
    viewer = users[0]
    followed = rng.sample(users[1:], 100)
    Follow.objects.bulk_create([Follow(follower=viewer, followee=u) for u in followed])
    now = time.time()
    rows = []
    for i in range(posts):
        author = rng.choice(users)
        pid = id_for_time(now - (posts - i) * 30) + i % 1000
        rows.append(
            Post(
                id=pid,
                author=author,
                text="Seedlings",
                html="<p>Seedlings</p>",
                visibility=rng.choice((0, 0, 0, 0, 0, 0, 0, 0, 1, 2)),
            )
        )
    Post.objects.bulk_create(rows, batch_size=2000)
    followed_ids = {u.pk for u in followed} | {viewer.pk}
    entries = [
        TimelineEntry(owner=viewer, post_id=p.id, author_id=p.author_id)
        for p in rows
        if p.author_id in followed_ids
    ][-400:]
    TimelineEntry.objects.bulk_create(entries)
    # One limited account among the followed (the rule's follow probe runs for its posts).
    User.objects.filter(pk=followed[0].pk).update(
        limited_until=django.utils.timezone.now() + django.utils.timezone.timedelta(days=1)
    )
    return User.objects.get(pk=viewer.pk)


def committed_rule() -> Any:
    source = subprocess.run(
        ["git", "show", "HEAD:townsquare/posts/visibility.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "visibility_head.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("visibility_head", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.visibility_sql


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--posts", type=int, default=20000)
    args = parser.parse_args()
    viewer = setup(args.posts)
    from townsquare.feeds.queries import home_feed
    from townsquare.posts import queries
    from townsquare.posts.queries import public_timeline

    rules = {"A (committed)": committed_rule(), "B (working tree)": queries.visibility_sql}
    results: dict[str, dict[str, list[float]]] = {
        name: {"sql": [], "home": [], "public_visitor": []} for name in rules
    }
    for _ in range(args.rounds):
        for name, rule in rules.items():
            queries.visibility_sql = rule  # what list_posts calls
            start = time.perf_counter()
            for _ in range(args.calls):
                rule(viewer)
            results[name]["sql"].append((time.perf_counter() - start) / args.calls * 1e6)
            start = time.perf_counter()
            for _ in range(args.calls // 10):
                assert len(home_feed(viewer).posts) == 20
            results[name]["home"].append((time.perf_counter() - start) / (args.calls // 10) * 1e6)
            start = time.perf_counter()
            for _ in range(args.calls // 10):
                public_timeline(None)
            results[name]["public_visitor"].append(
                (time.perf_counter() - start) / (args.calls // 10) * 1e6
            )
    for name, parts in results.items():
        shown = ", ".join(f"{part} {statistics.median(v):.0f} us" for part, v in parts.items())
        print(f"{name}: {shown}")


if __name__ == "__main__":
    main()
