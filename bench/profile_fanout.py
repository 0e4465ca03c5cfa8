#!/usr/bin/env python3
"""Where a fan-out spends its time, in one process, against a seeded data set.

    .venv/bin/python bench/profile_fanout.py [--database sqlite|postgres] [--small]

Run bench/feed_bench.py first. With no job worker running, this makes one post by the widely
followed bench member, then runs the fan-out jobs' functions itself, in order, timing each
and every SQL statement, and profiles one batch with cProfile. The job rows it enqueued are
then deleted (the home-feed rows stay, as after a real fan-out).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
HOST = "127.0.0.1"
STAR_USERNAME = "town_crier"


def configure(args: argparse.Namespace) -> Path:
    size = "small" if args.small else "full"
    data_dir = (args.data_dir or BENCH_DIR / "data" / f"{args.database}-{size}").resolve()
    if not (data_dir / "seeded.json").exists():
        raise SystemExit(f"profile: no seeded data in {data_dir}; run bench/feed_bench.py first")
    for key in [k for k in os.environ if k.startswith("TOWNSQUARE_")]:
        del os.environ[key]
    os.environ["TOWNSQUARE_DATA_DIR"] = str(data_dir)
    if args.database == "postgres":
        os.environ["TOWNSQUARE_DATABASE_URL"] = (
            f"postgres://postgres@{HOST}:5432/townsquare_bench{'_small' if args.small else ''}"
        )
    else:
        os.environ["TOWNSQUARE_DATABASE_URL"] = f"sqlite:///{data_dir / 'townsquare.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = args.django_settings or "townsquare.settings"
    sys.path.insert(0, str(REPO_DIR))
    import django

    django.setup()
    return data_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--data-dir", type=Path, help="another seeded data dir (e.g. a copy)")
    parser.add_argument("--django-settings", help="experiment: a settings module")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    configure(args)

    from django.db import connection
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from townsquare.accounts.models import User
    from townsquare.feeds import tasks
    from townsquare.posts.actions import create_post

    if DBTaskResult.objects.filter(status="READY").exists():
        raise SystemExit("profile: jobs are waiting in the queue; run or clear them first")

    statements: list[tuple[float, str, int]] = []

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            size = len(params) if params is not None and not many else 0
            statements.append(((time.perf_counter() - start) * 1000, sql, size))

    def show_statements(title: str) -> None:
        print(f"  SQL ({title}):")
        for ms, sql, size in statements:
            print(f"    {ms:8.2f} ms  {size:5} params  {sql[:150]}")
        statements.clear()

    def func(task: Any) -> Any:
        # The plain function behind a django_tasks Task (unwrapped by @task()).
        return task.func

    star = User.objects.get(username=STAR_USERNAME)
    wall_start = timezone.now()
    try:
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            post = create_post(star, text="Profiling the fan-out of this post.")
            print(f"create_post: {(time.perf_counter() - start) * 1000:.1f} ms")
            show_statements("create_post")

            start = time.perf_counter()
            batches = func(tasks.fan_out_post)(post.pk)
            print(f"fan_out_post: {(time.perf_counter() - start) * 1000:.1f} ms, {batches} batches")
            show_statements("fan_out_post")

        jobs = list(
            DBTaskResult.objects.filter(
                enqueued_at__gte=wall_start, task_path__endswith="fan_out_batch"
            ).order_by("enqueued_at")
        )
        batch_times = []
        for number, job in enumerate(jobs):
            job_args = job.args_kwargs["args"]
            profiler = cProfile.Profile() if number == 1 else None
            with connection.execute_wrapper(timer):
                if profiler:
                    profiler.enable()
                start = time.perf_counter()
                rows = func(tasks.fan_out_batch)(*job_args)
                elapsed = (time.perf_counter() - start) * 1000
                if profiler:
                    profiler.disable()
            batch_times.append(elapsed)
            print(f"fan_out_batch {number + 1}: {elapsed:.1f} ms, {rows} rows")
            if number == 0:
                show_statements("the first batch")
            statements.clear()
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
                text = out.getvalue()
                print("  cProfile of this batch (cumulative):")
                print(text[text.find("ncalls") - 2 :])
        if batch_times:
            print(
                f"batches: median {statistics.median(batch_times):.1f} ms, "
                f"sum {sum(batch_times):.0f} ms (run one after another, no job worker)"
            )
    finally:
        deleted, _ = DBTaskResult.objects.filter(enqueued_at__gte=wall_start).delete()
        print(f"(deleted the {deleted} job rows this run enqueued)")

    table = "feeds_timelineentry"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA index_list({table})")
            indexes = [row[1] for row in cursor.fetchall()]
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
            indexes = [row[0] for row in cursor.fetchall()]
    print(f"indexes on {table} (each insert updates all of them): {len(indexes)}")
    for name in indexes:
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
