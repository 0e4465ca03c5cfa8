#!/usr/bin/env python3
"""Where a signed-in home feed page spends its time, in one process, against a seeded data set.

    .venv/bin/python bench/profile_home.py [--database sqlite|postgres] [--small] [--requests N]

Run bench/feed_bench.py first (it leaves its data set in bench/data/<database>-<size>/). This
script calls the WSGI application directly (no HTTP server, no network) with the bench
members' session cookies and reports:
  - wall time per request, and per part (middleware + session + user, the feed queries with
    the ORM and as plain SQL, the template rendering, and pieces of the template);
  - every SQL statement of one request, with its time;
  - a cProfile of N requests (top functions by cumulative and by own time).
It writes nothing to the database except what a page view writes (the session's last-seen).
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

import feed_bench

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
HOST = "127.0.0.1"


def configure(args: argparse.Namespace) -> Path:
    size = "small" if args.small else "full"
    data_dir = (args.data_dir or BENCH_DIR / "data" / f"{args.database}-{size}").resolve()
    if not (data_dir / "sessions.txt").exists():
        raise SystemExit(f"profile: no seeded data in {data_dir}; run bench/feed_bench.py first")
    for key in [k for k in os.environ if k.startswith("TOWNSQUARE_")]:
        del os.environ[key]
    os.environ["TOWNSQUARE_DATA_DIR"] = str(data_dir)
    os.environ["TOWNSQUARE_BASE_URL"] = f"http://{HOST}:8000"
    if args.database == "postgres":
        os.environ["TOWNSQUARE_DATABASE_URL"] = (
            f"postgres://postgres@{HOST}:5432/townsquare_bench{'_small' if args.small else ''}"
        )
    else:
        os.environ["TOWNSQUARE_DATABASE_URL"] = f"sqlite:///{data_dir / 'townsquare.sqlite3'}"
    if args.redis:
        os.environ["TOWNSQUARE_REDIS_URL"] = f"redis://{HOST}:6379/13"
    os.environ["DJANGO_SETTINGS_MODULE"] = args.django_settings or "townsquare.settings"
    sys.path.insert(0, str(REPO_DIR))
    import django

    django.setup()
    return data_dir


def timed(fn: Any, repeat: int) -> float:
    """Median milliseconds of `fn()` over `repeat` calls (after two warm-up calls)."""
    fn()
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--data-dir", type=Path, help="another seeded data dir (e.g. a copy)")
    parser.add_argument("--redis", action="store_true")
    parser.add_argument("--requests", type=int, default=300, help="requests per measurement")
    parser.add_argument("--top", type=int, default=35, help="rows of each cProfile listing")
    parser.add_argument(
        "--django-settings",
        help="experiment: a settings module, e.g. bench.experiments.pg_prepared",
    )
    parser.add_argument(
        "--conn-max-age",
        type=float,
        help="experiment: keep the database connection open between requests (seconds)",
    )
    args = parser.parse_args()
    data_dir = configure(args)

    from django.conf import settings
    from django.contrib.sessions.backends.base import SessionBase
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext

    from townsquare.accounts.models import User
    from townsquare.feeds.queries import home_feed
    from townsquare.web.forms import PostForm
    from townsquare.wsgi import application

    if args.conn_max_age is not None:
        connection.settings_dict["CONN_MAX_AGE"] = args.conn_max_age
        connection.close()
    cookies = [line for line in (data_dir / "sessions.txt").read_text().splitlines() if line]
    counter = {"n": 0}

    def environ(cookie: str) -> dict[str, Any]:
        return feed_bench.wsgi_environ("/", cookie)

    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    def one_request() -> int:
        counter["n"] += 1
        cookie = cookies[counter["n"] % len(cookies)]
        body = application(environ(cookie), start_response)
        size = sum(len(chunk) for chunk in body)
        if hasattr(body, "close"):
            body.close()
        return size

    size = one_request()
    if not statuses or not statuses[-1].startswith("200"):
        raise SystemExit(f"profile: GET / answered {statuses[-1] if statuses else '?'}")

    # Members behind the cookies, for the part-by-part timings.
    store_class = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"]).SessionStore
    members = []
    for cookie in cookies:
        key = cookie.split(";")[0].split("=", 1)[1]
        session: SessionBase = store_class(session_key=key)
        members.append(User.objects.get(pk=session["_auth_user_id"]))

    print(f"data: {data_dir.name}, {len(cookies)} members, page {size:,} bytes")
    print(
        f"database: {connection.vendor}, session engine {settings.SESSION_ENGINE}, "
        f"CONN_MAX_AGE {connection.settings_dict.get('CONN_MAX_AGE')}"
    )
    n = args.requests
    rows: list[tuple[str, float]] = []
    rows.append(("whole request through the WSGI handler", timed(one_request, n)))

    # The feed read (ORM) and its two statements as plain SQL.
    def feed_orm() -> None:
        counter["n"] += 1
        home_feed(members[counter["n"] % len(members)])

    rows.append(("home_feed(): its queries + model instances", timed(feed_orm, n)))
    with CaptureQueriesContext(connection) as captured:
        home_feed(members[0])
    feed_sql = [q["sql"] for q in captured.captured_queries]

    def feed_raw() -> None:
        with connection.cursor() as cursor:
            for sql in feed_sql:
                cursor.execute(sql)
                cursor.fetchall()

    rows.append(("the same SQL statement(s), raw cursor", timed(feed_raw, n)))

    # Template rendering with the real context.
    from django.test import RequestFactory

    factory = RequestFactory()

    def make_request(user: User) -> Any:
        request = factory.get("/")
        request.user = user
        request.session = store_class()
        from django.contrib.messages.storage import default_storage

        request._messages = default_storage(request)
        return request

    contexts = []
    for member in members[:10]:
        feed = home_feed(member)
        contexts.append(
            (
                make_request(member),
                {
                    "form": PostForm(),
                    "top_id": feed.posts[0].pk if feed.posts else 0,
                    "live": True,
                    "posts": feed.posts,
                    "next_max_id": feed.next_max_id,
                },
            )
        )

    def render_home() -> None:
        counter["n"] += 1
        request, context = contexts[counter["n"] % len(contexts)]
        render_to_string("web/home.html", context, request)

    rows.append(("render web/home.html (20 posts, real context)", timed(render_home, n)))

    def render_cards() -> None:
        counter["n"] += 1
        request, context = contexts[counter["n"] % len(contexts)]
        render_to_string("web/_post_page.html", context, request)

    rows.append(("  of which the 20 post cards (_post_page.html)", timed(render_cards, n)))

    def render_composer() -> None:
        request, context = contexts[0]
        render_to_string("web/_composer.html", {"form": PostForm()}, request)

    rows.append(("  of which the composer form (_composer.html)", timed(render_composer, n)))

    def render_base() -> None:
        request, context = contexts[0]
        render_to_string("web/base.html", {}, request)

    rows.append(("  of which base.html alone (nav, context processors)", timed(render_base, n)))

    def session_and_user() -> None:
        counter["n"] += 1
        cookie = cookies[counter["n"] % len(cookies)]
        key = cookie.split(";")[0].split("=", 1)[1]
        session = store_class(session_key=key)
        User.objects.get(pk=session["_auth_user_id"])

    rows.append(("session load + user load (two queries)", timed(session_and_user, n)))

    def health() -> None:
        body = application({**environ(""), "PATH_INFO": "/health"}, start_response)
        for _ in body:
            pass
        body.close()

    rows.append(("GET /health through the handler (middleware floor)", timed(health, n)))

    print()
    print(f"{'part':58} {'median ms':>10}")
    for name, ms in rows:
        print(f"{name:58} {ms:>10.3f}")

    # Every statement of one request, with its time.
    print("\nSQL of one GET / (ms in the driver, statement), median of 50 requests:")
    timings: dict[int, list[tuple[float, str]]] = {}

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.setdefault(counter["request"], []).append(
                ((time.perf_counter() - start) * 1000, sql)
            )

    with connection.execute_wrapper(timer):
        for i in range(50):
            counter["request"] = i
            one_request()
    per_position: dict[int, list[float]] = {}
    statements: dict[int, str] = {}
    for queries in timings.values():
        for position, (ms, sql) in enumerate(queries):
            per_position.setdefault(position, []).append(ms)
            statements.setdefault(position, sql)
    for position, samples in sorted(per_position.items()):
        print(
            f"  {statistics.median(samples):7.3f}  (in {len(samples)}/50 requests)  "
            f"{statements[position][:300]}"
        )

    # The plans of the feed statements.
    print("\nquery plans of the feed statements:")
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        for sql in feed_sql:
            cursor.execute(explain + sql)
            print("  --", sql[:160], "...")
            for row in cursor.fetchall():
                print("    ", " | ".join(str(col) for col in row))

    # cProfile of N whole requests.
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        one_request()
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(order).print_stats(args.top)
        text = out.getvalue()
        print(f"\ncProfile of {n} requests, by {order}:")
        print(text[text.find("ncalls") - 2 :] if "ncalls" in text else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
