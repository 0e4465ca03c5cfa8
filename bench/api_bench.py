#!/usr/bin/env python3
"""Client API benchmark: the Mastodon home timeline and posting, through the real API.

    .venv/bin/python bench/api_bench.py [--database sqlite|postgres|both] [--duration 10]

For each database it
  1. creates a fresh data folder (and, for PostgreSQL, a fresh database `townsquare_api_bench`
     with Redis db 13 as cache), members through the accounts write layer, and starts
     `townsquare serve --workers 2` (job worker threads on, so fan-out fills the home feeds);
  2. seeds through the API itself, as apps would: tokens by the password grant, follows, posts
     with pictures (POST /api/v2/media), polls, YouTube links (whose cards need no fetch),
     replies, favourites, boosts and bookmarks; then waits until the home feeds are filled;
  3. restarts the server with --no-worker (leftover jobs would share the cores), then
     loads GET /api/v1/timelines/home?limit=20 with wrk at concurrency 8 and 64, rotating
     among the members' bearer tokens (full status entities: accounts, media, polls, cards,
     and the viewer's favourited/reblogged/bookmarked flags);
  4. loads POST /api/v1/statuses (form-encoded, rotating tokens) at concurrency 8 (the request
     only: its fan-out jobs wait in the queue);
  5. prints requests/s, p50 and p99, and writes bench/results/<timestamp>-api-<db>.json.

Load only ever goes to 127.0.0.1; every wrk run is bounded in time; the server is stopped on
exit, on error and on Ctrl+C. Internal sub-command (run with the data set's environment):
`_members`.
"""

from __future__ import annotations

import argparse
import atexit
import concurrent.futures
import datetime as dt
import http.client
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import feed_bench as fb  # noqa: E402 - shares process handling, wrk parsing, machine info

HOST = fb.HOST
PG_DATABASE = "townsquare_api_bench"
REDIS_URL = fb.REDIS_URL
PASSWORD = "bench-garden-password"
YOUTUBE = "https://www.youtube.com/watch?v={}"
TARGET = {"home_rps_c8_min": 1500.0, "home_p99_ms_c8_max": 25.0}

HOME_LUA = """
-- GET the home timeline with a rotating bearer token (tokens file: one per line).
local tokens = {}
local counter = 0
local non2xx = 0
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("thread_no", #threads) end
function init(args)
  for line in io.lines(args[1]) do if #line > 0 then tokens[#tokens + 1] = line end end
  counter = ((thread_no or 1) - 1) * 7
end
function request()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  return wrk.format(REQUEST_METHOD, REQUEST_PATH, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, REQUEST_BODY and string.format(REQUEST_BODY, counter) or nil)
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
"""


def lua_script(method: str, path: str, body: str | None) -> str:
    head = f'REQUEST_METHOD = "{method}"\nREQUEST_PATH = "{path}"\n'
    head += f'REQUEST_BODY = "{body}"\n' if body else "REQUEST_BODY = nil\n"
    done = fb.LUA_SCRIPT.read_text()
    return head + HOME_LUA + done[done.index("function done(") :]


# --- the data set ------------------------------------------------------------------------------


def bench_env(database: str, data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOWNSQUARE_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        TOWNSQUARE_DATA_DIR=str(data_dir),
        TOWNSQUARE_BASE_URL=f"http://{HOST}:{port}",
        TOWNSQUARE_DEBUG="false",
        TOWNSQUARE_LINK_PREVIEWS="true",  # YouTube cards are made from the URL alone
        PYTHONUNBUFFERED="1",
    )
    if database == "postgres":
        env["TOWNSQUARE_DATABASE_URL"] = f"postgres://postgres@{HOST}:5432/{PG_DATABASE}"
        env["TOWNSQUARE_REDIS_URL"] = REDIS_URL
    else:
        env["TOWNSQUARE_DATABASE_URL"] = f"sqlite:///{data_dir / 'townsquare.sqlite3'}"
    return env


def members_command(args: argparse.Namespace) -> int:
    """(child) Migrate, then create the members through the write layer."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from townsquare.accounts import actions

    call_command("migrate", verbosity=0, interactive=False)
    for n in range(args.members):
        actions.create_user(
            f"gardener{n}", f"gardener{n}@bench.example", PASSWORD, email_confirmed=True
        )
    return 0


class Client:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body: bytes | None = None
        if files:
            boundary = uuid.uuid4().hex
            parts = io.BytesIO()
            for name, value in (data or {}).items():
                parts.write(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
            for name, (filename, content, mime) in files.items():
                parts.write(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'.encode()
                )
                parts.write(content + b"\r\n")
            parts.write(f"--{boundary}--\r\n".encode())
            body = parts.getvalue()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        # Each member's calls come from a loopback address of its own (127.1.x.y), as members
        # on their own devices would: the per-address write limit (3,000 an hour) is for one
        # client, and the seeding makes more writes than that in a minute.
        member = zlib.crc32((token or "").encode()) % 60_000
        source = (f"127.1.{member // 250}.{member % 250 + 1}", 0)
        split = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(
            split.hostname or HOST, split.port, timeout=60, source_address=source
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        if response.status >= 400:
            raise SystemExit(f"bench: {method} {path} -> {response.status}: {payload[:300]!r}")
        return json.loads(payload or b"null")


def picture(rng: random.Random) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    colour = tuple(rng.randrange(256) for _ in range(3))
    Image.new("RGB", (640, 480), colour).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def seed_through_api(args: argparse.Namespace, client: Client) -> tuple[list[str], dict[str, Any]]:
    rng = random.Random(args.seed)
    app = client.call(
        "POST",
        "/api/v1/apps",
        data={"client_name": "api bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
              "scopes": "read write follow"},
    )  # fmt: skip
    tokens: list[str] = []
    for n in range(args.members):
        reply = client.call(
            "POST",
            "/oauth/token",
            data={
                "grant_type": "password",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "username": f"gardener{n}@bench.example",
                "password": PASSWORD,
                "scope": "read write follow",
            },
        )
        tokens.append(reply["access_token"])
    ids = [client.call("GET", "/api/v1/accounts/verify_credentials", t)["id"] for t in tokens]
    counts = {"follows": 0, "posts": 0, "media": 0, "polls": 0, "cards": 0, "replies": 0,
              "favourites": 0, "reblogs": 0, "bookmarks": 0}  # fmt: skip

    def follow(n: int) -> int:
        others = [i for i in range(args.members) if i != n]
        chosen = rng.sample(others, min(args.follows, len(others)))
        for i in chosen:
            client.call("POST", f"/api/v1/accounts/{ids[i]}/follow", tokens[n])
        return len(chosen)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        counts["follows"] = sum(pool.map(follow, range(args.members)))
    fb.log(f"{counts['follows']} follows")

    posted: list[str] = []

    def post(k: int) -> str:
        n = k % args.members
        token = tokens[n]
        data: dict[str, Any] = {"status": f"Garden note {k}: the beans are climbing #garden"}
        if k % 5 == 0:
            media = client.call(
                "POST", "/api/v2/media", token, data={"description": f"Bed {k}"},
                files={"file": (f"bed{k}.jpg", picture(rng), "image/jpeg")},
            )  # fmt: skip
            data["media_ids"] = [media["id"]]
            counts["media"] += 1
        elif k % 7 == 0:
            data["poll"] = {"options": ["beans", "peas", "leeks"], "expires_in": 86400 * 7}
            counts["polls"] += 1
        elif k % 6 == 0:
            data["status"] += " " + YOUTUBE.format(f"garden{k % 40:05d}")
            counts["cards"] += 1
        if posted and k % 9 == 0:
            data["in_reply_to_id"] = rng.choice(posted[-50:])
            counts["replies"] += 1
        status = client.call("POST", "/api/v1/statuses", token, data=data)
        return str(status["id"])

    def react(k: int) -> None:
        """Others favourite, bookmark and now and then boost recent posts, as people do."""
        recent = posted[-30:]
        for _ in range(args.favourites):
            n = rng.randrange(args.members)
            client.call("POST", f"/api/v1/statuses/{rng.choice(recent)}/favourite", tokens[n])
            counts["favourites"] += 1
        if rng.random() < 0.3:
            n = rng.randrange(args.members)
            client.call("POST", f"/api/v1/statuses/{rng.choice(recent)}/bookmark", tokens[n])
            counts["bookmarks"] += 1
        if rng.random() < 0.08:
            n = rng.randrange(args.members)
            client.call("POST", f"/api/v1/statuses/{rng.choice(recent)}/reblog", tokens[n])
            counts["reblogs"] += 1

    for k in range(args.posts):
        posted.append(post(k))
        react(k)
    counts["posts"] = len(posted)
    fb.log(f"{len(posted)} posts, {counts['favourites']} favourites, {counts['reblogs']} boosts")
    return tokens, counts


def wait_for_feeds(client: Client, tokens: list[str], timeout: float) -> dict[str, Any]:
    """Until every member's first page is full (fan-out jobs done), then what a page holds."""
    deadline = time.monotonic() + timeout
    while True:
        pages = [client.call("GET", "/api/v1/timelines/home?limit=20", t) for t in tokens]
        if all(len(page) == 20 for page in pages) or time.monotonic() > deadline:
            break
        time.sleep(1)
    statuses = [s for page in pages for s in page]
    shown = [s.get("reblog") or s for s in statuses]
    return {
        "pages": len(pages),
        "statuses_per_page_min": min(len(p) for p in pages),
        "with_media": sum(1 for s in shown if s["media_attachments"]),
        "with_poll": sum(1 for s in shown if s.get("poll")),
        "with_card": sum(1 for s in shown if s.get("card")),
        "boosts": sum(1 for s in statuses if s.get("reblog")),
        "favourited_by_viewer": sum(1 for s in shown if s.get("favourited")),
        "bytes_per_page_mean": int(sum(len(json.dumps(p)) for p in pages) / max(1, len(pages))),
    }


# --- measuring ---------------------------------------------------------------------------------

SPIN = "import time\ns = time.perf_counter()\nx = 0\nfor i in range(15_000_000): x += i\n"


def cpu_scaling() -> dict[str, float]:
    """How much a second core adds here: the same pure-Python loop in one process, then in
    two at once. 2.0 is two real cores; a shared or throttled second core gives less."""

    def run(copies: int) -> float:
        started = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(copies)]
        for proc in procs:
            proc.wait(timeout=120)
        return time.perf_counter() - started

    one = min(run(1) for _ in range(2))
    two = min(run(2) for _ in range(2))
    return {"one_process_s": round(one, 2), "two_processes_s": round(two, 2),
            "speedup_of_two": round(2 * one / two, 2)}  # fmt: skip


def run_wrk(
    port: int, script: Path, tokens: Path, connections: int, seconds: int
) -> dict[str, Any]:
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
           "--timeout", "10s", "-s", str(script), f"http://{HOST}:{port}/", "--", str(tokens)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise SystemExit(f"bench: wrk failed: {out.stderr.strip()}")
    raw = fb.last_json_line(out.stdout)
    raw["wrk_cpu_s"] = 0.0
    return raw


def measure(
    args: argparse.Namespace, server: subprocess.Popen[bytes], port: int, script: Path,
    tokens: Path, connections: int, seconds: int,
) -> dict[str, Any]:  # fmt: skip
    fb.wait_for_quiet(args.quiet_below, args.quiet_wait)
    before = fb.group_cpu_seconds(server.pid)
    raw = run_wrk(port, script, tokens, connections, seconds)
    summary = fb.summarize_run(raw, connections, fb.group_cpu_seconds(server.pid) - before)
    summary.pop("wrk_cpu_s", None)
    fb.log(
        f"c{connections}: {summary['requests_per_s']} req/s, p50 {summary['p50_ms']} ms, "
        f"p99 {summary['p99_ms']} ms, non-2xx {summary['non_2xx']}"
    )
    return summary


def run_database(args: argparse.Namespace, database: str) -> dict[str, Any]:
    data_dir = args.data_root / f"api-{database}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    if database == "postgres":
        fb.recreate_pg_database(PG_DATABASE)
        subprocess.run(["redis-cli", "-h", HOST, "-n", REDIS_URL.rsplit("/", 1)[1], "flushdb"],
                       capture_output=True, timeout=30, check=False)  # fmt: skip
    port = fb.free_port()
    env = bench_env(database, data_dir, port)
    fb.log(f"{database}: creating {args.members} members")
    fb.run_checked([sys.executable, __file__, "_members", "--members", str(args.members)],
                   env, 600, "creating members")  # fmt: skip
    log_path = data_dir / "server.log"

    def serve(*extra: str) -> subprocess.Popen[bytes]:
        proc = fb.start_process(
            [*fb.townsquare_cmd(), "serve", "--host", HOST, "--port", str(port),
             "--workers", str(args.workers), "--streaming-port", str(fb.free_port()), *extra],
            env, log_path,
        )  # fmt: skip
        fb.wait_for_health(port, proc, log_path, 120)
        return proc

    server = serve()  # with its job threads: fan-out fills the home feeds while seeding
    try:
        client = Client(f"http://{HOST}:{port}")
        started = time.monotonic()
        tokens, counts = seed_through_api(args, client)
        page = wait_for_feeds(client, tokens, 120)
        fb.log(f"seeded in {time.monotonic() - started:.0f} s; a page: {page}")
    finally:
        fb.stop_process(server)
    if database == "postgres":
        # The planner needs statistics: autovacuum gathers them on a running site, but it may be
        # off on a bench machine (it is here) and would not have run within the seeding anyway.
        # Without them the home timeline's plan scans every post (10 ms instead of 0.7).
        out = subprocess.run(
            ["psql", "-h", HOST, "-U", "postgres", "-d", PG_DATABASE, "-c", "VACUUM ANALYZE"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"bench: VACUUM ANALYZE failed: {out.stderr.strip()}")
    token_file = data_dir / "tokens.txt"
    token_file.write_text("\n".join(tokens) + "\n")
    home_lua = data_dir / "home.lua"
    home_lua.write_text(lua_script("GET", "/api/v1/timelines/home?limit=20", None))
    post_lua = data_dir / "post.lua"
    post_lua.write_text(lua_script("POST", "/api/v1/statuses", "status=Bench+note+%d"))
    # Measured without job threads (as feed_bench does): the seed's leftover jobs (notification
    # emails and the like) would otherwise share the two cores with the requests measured.
    server = serve("--no-worker")
    try:
        run_wrk(port, home_lua, token_file, 8, args.warmup)  # warm-up, not recorded
        home = [measure(args, server, port, home_lua, token_file, c, args.duration)
                for c in args.concurrency]  # fmt: skip
        caches = fb.cache_hit_rates(port)  # the entity caches, over the home timeline runs
        fb.log(f"entity caches: {caches}")
        posting = measure(args, server, port, post_lua, token_file, 8, args.post_duration)
    finally:
        fb.stop_process(server)
    return {
        "database": database,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": fb.machine_info(),
        "cpu_scaling": cpu_scaling(),
        "commit": fb.git_commit(),
        "workers": args.workers,
        "seed": counts,
        "home_page": page,
        "home_timeline": home,
        "cache_hit_rates": caches,
        "post_statuses": posting,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="internal")
    members = sub.add_parser("_members")
    members.add_argument("--members", type=int, required=True)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--follows", type=int, default=25, help="accounts each member follows")
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--favourites", type=int, default=2, help="favourites per post")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per timeline run")
    parser.add_argument("--post-duration", type=int, default=5, help="seconds of posting")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--data-root", type=Path, default=fb.DEFAULT_DATA_ROOT)
    parser.add_argument("--quiet-below", type=float, default=25.0)
    parser.add_argument("--quiet-wait", type=float, default=60.0)
    args = parser.parse_args(argv)
    if args.internal == "_members":
        return members_command(args)
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is not installed (apt-get install wrk)")
    atexit.register(fb.stop_all_children)
    signal.signal(signal.SIGTERM, fb._on_signal)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    fb.RESULTS_DIR.mkdir(exist_ok=True)
    results = []
    for database in databases:
        result = run_database(args, database)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        (fb.RESULTS_DIR / f"{stamp}-api-{database}.json").write_text(json.dumps(result, indent=2))
        results.append(result)
    print(
        f"\n{'database':<10} {'what':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
    )
    for result in results:
        rows = [(f"GET home?limit=20 c{r['concurrency']}", r) for r in result["home_timeline"]]
        rows.append(("POST /api/v1/statuses c8", result["post_statuses"]))
        for what, r in rows:
            print(f"{result['database']:<10} {what:<34} {r['requests_per_s']:>8} "
                  f"{r['p50_ms']:>8} {r['p99_ms']:>8} {r['non_2xx']:>8}")  # fmt: skip
        c8 = next((r for r in result["home_timeline"] if r["concurrency"] == 8), None)
        if c8:
            ok = (
                c8["requests_per_s"] >= TARGET["home_rps_c8_min"]
                and c8["p99_ms"] <= TARGET["home_p99_ms_c8_max"]
            )
            print(
                f"{result['database']:<10} target (>= 1,500 req/s, p99 <= 25 ms at c8): {'met' if ok else 'NOT met'}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
