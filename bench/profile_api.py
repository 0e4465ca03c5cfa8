#!/usr/bin/env python3
"""The API home timeline in one process, against the data set `api_bench.py` left behind.

    .venv/bin/python bench/profile_api.py --database sqlite [--rounds 5 --requests 40]
    .venv/bin/python bench/profile_api.py --database postgres --profile 30
    .venv/bin/python bench/profile_api.py --ab bench.experiments.NAME --rounds 40

Runs `GET /api/v1/timelines/home?limit=20` through the WSGI application itself (no socket, no
test client), rotating among the members' bearer tokens, and prints the best mean time per
request over the rounds, the SQL statements of one request with their times, and, with
`--profile N`, the N most expensive functions of a cProfile over one round. Run
`api_bench.py` first (it keeps its data in `bench/data/api-<database>`).

`--ab MODULE` compares two versions of the code in one process, for a machine whose speed drifts
from minute to minute: MODULE's `apply()` switches to the other version and `undo()` back, the
rounds alternate between the two, and each round is timed in this process's CPU time. It prints
the best and the median round of each and their ratio.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(BENCH_DIR.parent))  # for --ab bench.experiments.NAME

import importlib  # noqa: E402
import statistics  # noqa: E402

import api_bench  # noqa: E402
import feed_bench as fb  # noqa: E402


def environ_for(token: str, query: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/timelines/home",
        "QUERY_STRING": query,
        "SERVER_NAME": fb.HOST,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": fb.HOST,
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40, help="requests per round")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--data-root", type=Path, default=fb.DEFAULT_DATA_ROOT)
    parser.add_argument("--ab", metavar="MODULE", help="compare with MODULE's apply()/undo()")
    args = parser.parse_args(argv)

    data_dir = args.data_root / f"api-{args.database}"
    tokens_file = data_dir / "tokens.txt"
    if not tokens_file.exists():
        raise SystemExit(f"bench: no data set in {data_dir}: run api_bench.py first")
    tokens = [t for t in tokens_file.read_text().split() if t]
    os.environ.update(api_bench.bench_env(args.database, data_dir, 80))
    os.environ["DJANGO_SETTINGS_MODULE"] = "townsquare.settings"
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from townsquare.wsgi import application as app

    # The pages api_bench measured: older than the notes its posting run added on top.
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id) FROM posts_post WHERE text LIKE 'Bench note%%'")
        (first_note,) = cursor.fetchone()
    query = "limit=20" + (f"&max_id={first_note}" if first_note else "")

    def request(n: int) -> None:
        statuses: list[str] = []
        body = b"".join(
            app(environ_for(tokens[n % len(tokens)], query), lambda s, h: statuses.append(s))
        )
        if not statuses or not statuses[0].startswith("200"):
            raise SystemExit(f"bench: {statuses} {body[:200]!r}")

    for n in range(len(tokens)):  # warm: every member's page once
        request(n)
    if args.ab:
        return compare(importlib.import_module(args.ab), request, args.rounds, args.requests)
    best = float("inf")
    for _ in range(args.rounds):
        started = time.perf_counter()
        for n in range(args.requests):
            request(n)
        best = min(best, (time.perf_counter() - started) / args.requests)
    print(f"{args.database}: best mean {best * 1000:.2f} ms a request "
          f"(best of {args.rounds} rounds of {args.requests})")  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        request(0)
    print(f"SQL statements in one request: {len(queries.captured_queries)}")
    for captured in queries.captured_queries:
        print(f"  {float(captured['time']) * 1000:7.2f} ms  {captured['sql'][:150]}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(args.requests):
            request(n)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(
            os.environ.get("PROFILE_SORT", "cumulative")
        ).print_stats(args.profile)
        print(out.getvalue())
    return 0


def compare(module: Any, request: Any, rounds: int, requests: int) -> int:
    """Alternate rounds of the code as it is (A) and as `module.apply()` makes it (B)."""
    times: dict[str, list[float]] = {"A": [], "B": []}
    for round_no in range(2 * rounds):
        version = "AB"[round_no % 2]
        if version == "B":
            module.apply()
        try:
            started = time.process_time()
            for n in range(requests):
                request(n)
            times[version].append((time.process_time() - started) / requests * 1000)
        finally:
            if version == "B":
                module.undo()
    for version, label in (("A", "as it is"), ("B", module.__name__)):
        found = times[version]
        print(f"{version} {label}: best {min(found):.3f} ms, median "
              f"{statistics.median(found):.3f} ms a request (CPU, {len(found)} rounds)")  # fmt: skip
    ratio = statistics.median(times["B"]) / statistics.median(times["A"])
    print(f"B/A (medians): {ratio:.3f}; best B/best A: {min(times['B']) / min(times['A']):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
