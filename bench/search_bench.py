"""Post search latency on the seeded bench data set (see bench/README.md, "Post search").

For each database it:
  1. makes sure the data set of feed_bench.py exists (seeds it unless --reuse finds it);
  2. runs `townsquare migrate`, which builds the full-text index when it is missing (timed);
  3. in a child process with the data set's settings, times
     `townsquare.search.queries.search_posts` in-process for a set of queries, as a signed-in
     member and as a visitor: p50/p99 per query and overall, and the results found;
  4. prints a table and writes bench/results/<timestamp>-<database>-search.json.

Internal sub-command: `_measure` (run in the child process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import feed_bench as fb  # noqa: E402 - the seeding and process machinery, shared

# What people type: the seeded posts draw on feed_bench.WORDS (about 90 words, so every word
# is in roughly a quarter of the posts: a harsh case for "common").
QUERIES = {
    "common word": "garden",
    "two words": "garden compost",
    "four words (rare together)": "bicycle museum harvest choir",
    "no match": "xylophone",
}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure(args: argparse.Namespace) -> int:
    import random

    fb._django()
    from townsquare.accounts.models import User
    from townsquare.search.queries import search_posts

    member = User.objects.filter(username__startswith="member").order_by("pk")[123]
    viewers: dict[str, Any] = {"member": member, "visitor": None}
    cases = [(label, q, who) for label, q in QUERIES.items() for who in viewers]
    for _, q, who in cases:  # warm caches and connections
        search_posts(viewers[who], q)
    times: dict[tuple[str, str], list[float]] = {(label, who): [] for label, _, who in cases}
    found: dict[tuple[str, str], int] = {}
    order = cases * args.runs
    random.Random(1).shuffle(order)
    for label, q, who in order:
        started = time.perf_counter()
        posts = search_posts(viewers[who], q)
        times[(label, who)].append((time.perf_counter() - started) * 1000)
        found[(label, who)] = len(posts)
    rows = []
    for (label, who), values in times.items():
        rows.append(
            {
                "query": label,
                "q": QUERIES[label],
                "viewer": who,
                "runs": len(values),
                "p50_ms": round(statistics.median(values), 2),
                "p99_ms": round(percentile(values, 99), 2),
                "max_ms": round(max(values), 2),
                "results_on_page_1": found[(label, who)],
            }
        )
    every = [value for values in times.values() for value in values]
    overall = {
        "p50_ms": round(statistics.median(every), 2),
        "p99_ms": round(percentile(every, 99), 2),
    }
    print("BENCH_JSON " + json.dumps({"rows": rows, "overall": overall}), flush=True)
    return 0


def run_database(args: argparse.Namespace, database: str) -> dict[str, Any]:
    feed_args = fb.build_parser().parse_args(
        [
            "--database",
            database,
            "--skip-home",
            "--fanout-runs",
            "0",
            "--data-root",
            str(args.data_root),
            *(["--small"] if args.small else []),
            *(["--reuse"] if args.reuse else []),
        ]
    )
    if feed_args.fanout_followers is None and not args.small:
        feed_args.fanout_followers = 10_000
    size = dict(fb.SIZES["small" if args.small else "full"])
    seeded = fb.run_database(feed_args, database, size)
    data_dir = Path(seeded["data_dir"])
    env = fb.bench_env(database, data_dir, fb.free_port(), redis=False)
    started = time.monotonic()
    fb.run_checked([*fb.townsquare_cmd(), "migrate"], env, timeout=1800, what="migrate")
    migrate_s = round(time.monotonic() - started, 1)
    fb.log(f"{database}: migrate (builds the search index when missing) took {migrate_s} s")
    busy, waited = fb.wait_for_quiet(args.quiet_below, args.quiet_wait)
    out = fb.run_checked(
        [sys.executable, __file__, "_measure", "--runs", str(args.runs)],
        env,
        timeout=1800,
        what="measuring",
    )
    result = fb.last_json_line(out.stdout)
    result.update(
        database=database,
        size="small" if args.small else "full",
        seed=seeded["seed"],
        migrate_s=migrate_s,
        background_busy_pct=busy,
        waited_for_quiet_s=waited,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("internal", nargs="?", choices=["_measure"])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--small", action="store_true", help="1,000 members / 50,000 posts")
    parser.add_argument("--reuse", action="store_true", help="reuse a data set seeded before")
    parser.add_argument("--runs", type=int, default=40, help="timed searches per query/viewer")
    parser.add_argument("--data-root", type=Path, default=fb.DEFAULT_DATA_ROOT)
    parser.add_argument("--quiet-below", type=float, default=15.0)
    parser.add_argument("--quiet-wait", type=float, default=120.0)
    args = parser.parse_args(argv)
    if args.internal == "_measure":
        return measure(args)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    machine = fb.machine_info()
    fb.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for database in databases:
            started = dt.datetime.now(dt.UTC)
            result = run_database(args, database)
            result["started_at"] = started.isoformat(timespec="seconds")
            result["machine"] = machine
            stamp = started.strftime("%Y%m%dT%H%M%SZ")
            path = fb.RESULTS_DIR / f"{stamp}-{database}-search.json"
            path.write_text(json.dumps(result, indent=2) + "\n")
            fb.log(f"wrote {path.relative_to(fb.REPO_DIR)}")
            results.append(result)
    finally:
        fb.stop_all_children()
    print(f"{'database':10} {'query':28} {'viewer':8} {'p50 ms':>8} {'p99 ms':>8} {'found':>5}")
    for result in results:
        for row in result["rows"]:
            print(
                f"{result['database']:10} {row['query']:28} {row['viewer']:8}"
                f" {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['results_on_page_1']:5}"
            )
        overall = result["overall"]
        print(
            f"{result['database']:10} {'all queries':28} {'both':8}"
            f" {overall['p50_ms']:8.2f} {overall['p99_ms']:8.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
