#!/usr/bin/env python3
"""Home-feed and fan-out benchmark for Townsquare.

    .venv/bin/python bench/feed_bench.py [--small] [--database sqlite|postgres|both]

For each database it
  1. seeds a fresh data set in bulk (members, a long-tailed follow graph, time-ordered posts
     over the past weeks, and materialized home feeds holding the newest ~400 posts of the
     accounts each member follows), plus signed-in sessions for a few members;
  2. starts `townsquare serve --no-worker --workers W` on 127.0.0.1 and waits for /health;
  3. loads GET / (the signed-in home feed page) with wrk at concurrency 8 and 64, rotating
     among the members' session cookies: requests/s, p50/p99 latency, non-2xx count;
  4. with `townsquare worker` processes running, times a post by a member with 10,000
     followers (1,000 with --small) until it is in every follower's home feed;
  5. prints a table and writes bench/results/<timestamp>-<database>.json.

With --api it also measures the Mastodon API home timeline on the same data set: each session
member gets a bearer token (made at seed time, or on a reused data set by a child process when
its tokens.txt is missing), and after the web runs wrk loads GET /api/v1/timelines/home?limit=20
at the same concurrencies, rotating the tokens (bench/api_home.lua); the figures go under
"api_home" in the results file and into a second table.

With --api-post SECONDS (needs --api) it then also posts through the API: wrk at concurrency 8
for SECONDS s against POST /api/v1/statuses (form-encoded `status=...`, a text of its own each
time, the member's default visibility), rotating the same tokens (bench/api_post.lua). The server
runs without job workers, so the posts' fan-out jobs wait in the queue (the fan-out step drains
them before it times anything). The site's write limits apply as in production: 3,000 API writes
an hour from one address (all of wrk's come from 127.0.0.1) and 300 posts an hour per member. No
setting raises them, so a child process (`_post_limits`) clears those counters for 127.0.0.1 and
the token members before the run (every run starts with the same budget, whatever ran earlier
in the hour) and reads them again after it; 429 answers are counted apart and a run with more
than 1 % of them is flagged. The figures go under "api_post" and into the API table.

Every step has a time limit, and the server and worker processes are stopped on exit, on
error and on Ctrl+C. Load only ever goes to 127.0.0.1. See bench/README.md.

Internal sub-commands (run in a child process with the data set's environment, so that each
database gets its own Django settings): `_seed`, `_fanout`, `_tokens`, `_post_limits`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_DATA_ROOT = BENCH_DIR / "data"
LUA_SCRIPT = BENCH_DIR / "home_feed.lua"
API_LUA_SCRIPT = BENCH_DIR / "api_home.lua"  # --api: GET the URL's path with rotating tokens
API_HOME_PATH = "/api/v1/timelines/home?limit=20"
API_POST_LUA_SCRIPT = BENCH_DIR / "api_post.lua"  # --api-post: POST statuses, rotating tokens
API_POST_PATH = "/api/v1/statuses"
API_POST_CONCURRENCY = 8
API_POST_LIMITED_SHARE = 0.01  # a posting run with more 429 answers than this share is flagged
API_SCOPES = "read write follow"
HOST = "127.0.0.1"  # the only address this benchmark ever sends anything to
PG_DATABASE = "townsquare_bench"  # "townsquare_bench_small" for --small, so both can be kept


PG_SUFFIX = ""  # --pg-suffix: another data set of the same size class, e.g. "100k"


def pg_database(small: bool) -> str:
    name = f"{PG_DATABASE}_small" if small else PG_DATABASE
    return f"{name}_{PG_SUFFIX}" if PG_SUFFIX else name


def pg_url(small: bool) -> str:
    return f"postgres://postgres@{HOST}:5432/{pg_database(small)}"


REDIS_URL = f"redis://{HOST}:6379/13"
STAR_USERNAME = "town_crier"  # the member whose post is fanned out
HOME_CAP = 400  # posts per home feed in the seed (Mastodon keeps about 400)
POST_DAYS = 28  # posts are spread over the past four weeks
LOGGED_IN_MARKER = 'id="feed-poller"'  # only the signed-in home page has the live poller

TARGETS = {
    "home_rps_c8_min": 500.0,
    "home_p99_ms_c8_max": 50.0,
    "fanout_10k_s_max": 1.0,
}

SIZES = {
    "full": {"members": 10_000, "posts": 1_000_000},
    "small": {"members": 1_000, "posts": 50_000},
}


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Child processes: started in their own process group, stopped by group id on exit.
# --------------------------------------------------------------------------------------------

_children: list[subprocess.Popen[bytes]] = []


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM if the benchmark process dies (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_process(cmd: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    handle = open(log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=REPO_DIR,
        stdin=subprocess.DEVNULL,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509
    )
    handle.close()
    _children.append(proc)
    return proc


def stop_process(proc: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM to the child's process group, then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Workers that granian forked may outlive their parent for a moment: end the group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc in _children:
        _children.remove(proc)


def stop_all_children() -> None:
    for proc in list(_children):
        with contextlib.suppress(Exception):
            stop_process(proc, grace=10.0)


def _on_signal(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def wsgi_environ(path: str, cookie: str = "", port: int = 8000) -> dict[str, Any]:
    """A GET request's WSGI environ, for calling the application in-process (no server)."""
    import io

    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": HOST,
        "HTTP_HOST": f"{HOST}:{port}",
        "HTTP_COOKIE": cookie,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def group_processes(pgid: int) -> Iterator[tuple[str, list[str]]]:
    """(pid, the fields of /proc/<pid>/stat after the command) of each live process in a
    process group."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:  # field 5 (pgrp), counted from field 3 (state)
            yield entry, fields


def group_cpu_by_process(pgid: int) -> dict[str, float]:
    """User+system CPU seconds of each live process in a process group, by pid."""
    ticks = os.sysconf("SC_CLK_TCK")
    return {pid: (int(f[11]) + int(f[12])) / ticks for pid, f in group_processes(pgid)}


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU seconds of the live processes in a process group."""
    return sum(group_cpu_by_process(pgid).values())


def group_rss_mb(pgid: int) -> list[dict[str, Any]]:
    """Resident memory of each live process in a process group (MB), with its command line
    shortened: the server's main process, its web processes, its streaming process."""
    found = []
    for pid, _fields in group_processes(pgid):
        try:
            with open(f"/proc/{pid}/status") as handle:
                status = handle.read()
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        rss = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS")), "0")
        found.append(
            {"pid": int(pid), "rss_mb": round(int(rss) / 1024, 1), "command": command[-90:]}
        )
    return sorted(found, key=lambda row: row["pid"])


def machine_cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


def background_busy_pct(seconds: float = 2.0) -> float:
    """How busy the CPUs are with the benchmark idle (other work on the machine skews figures)."""
    busy_before, total_before = machine_cpu_ticks()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu_ticks()
    return round(100 * (busy_after - busy_before) / max(1, total_after - total_before), 1)


def wait_for_quiet(limit_pct: float, max_wait: float) -> tuple[float, float]:
    """Wait (at most `max_wait` s) until other processes use less than `limit_pct` of the CPUs.

    Returns (the last background reading, seconds waited)."""
    started = time.monotonic()
    reading = background_busy_pct()
    while reading > limit_pct and time.monotonic() - started < max_wait:
        log(f"the machine is {reading}% busy with other work; waiting for it to calm down")
        time.sleep(3)
        reading = background_busy_pct()
    return reading, round(time.monotonic() - started, 1)


# --------------------------------------------------------------------------------------------
# Machine information
# --------------------------------------------------------------------------------------------


def git_commit() -> str | None:
    """HEAD's commit, read from .git without running git; `git rev-parse HEAD` as a fallback."""
    git = REPO_DIR / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        ref_file = git / ref
        if ref_file.exists():
            return ref_file.read_text().strip()
        packed = git / "packed-refs"
        if packed.exists():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split()[0]
    except OSError:
        pass
    with contextlib.suppress(Exception):
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True, timeout=10
        )
        if out.returncode == 0:
            return out.stdout.strip()
    return None


def source_digest() -> dict[str, Any]:
    """A digest of the application source measured (the working tree may differ from HEAD)."""
    import hashlib

    digest = hashlib.sha256()
    newest = 0.0
    files = 0
    for path in sorted((REPO_DIR / "townsquare").rglob("*")):
        if path.suffix not in (".py", ".html", ".css", ".js") or "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(REPO_DIR)).encode() + b"\0" + path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
        files += 1
    return {
        "sha256": digest.hexdigest()[:16],
        "files": files,
        "newest_change": dt.datetime.fromtimestamp(newest, dt.UTC).isoformat(timespec="seconds"),
    }


def machine_info() -> dict[str, Any]:
    cpu_model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    versions: dict[str, str | None] = {}
    for package in ("django", "granian", "psycopg", "django-tasks", "django-tasks-db"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:
            versions[package] = None
    import sqlite3

    versions["sqlite"] = sqlite3.sqlite_version
    with contextlib.suppress(Exception):
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
        versions["wrk"] = (out.stdout or out.stderr).splitlines()[0].strip()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory_gb": mem_gb,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git_commit": git_commit(),
        "source": source_digest(),
        "versions": versions,
    }


# --------------------------------------------------------------------------------------------
# Orchestration (no Django in this process)
# --------------------------------------------------------------------------------------------


def townsquare_cmd() -> list[str]:
    script = Path(sys.executable).parent / "townsquare"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "townsquare.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def bench_env(
    database: str, data_dir: Path, port: int, redis: bool, settings_module: str | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOWNSQUARE_")}
    env["TOWNSQUARE_DATA_DIR"] = str(data_dir)
    env["TOWNSQUARE_BASE_URL"] = f"http://{HOST}:{port}"
    env["TOWNSQUARE_DEBUG"] = "false"
    if database == "postgres":
        env["TOWNSQUARE_DATABASE_URL"] = pg_url(data_dir.name.endswith("-small"))
    else:
        env["TOWNSQUARE_DATABASE_URL"] = f"sqlite:///{data_dir / 'townsquare.sqlite3'}"
    if redis:
        env["TOWNSQUARE_REDIS_URL"] = REDIS_URL
    env["PYTHONUNBUFFERED"] = "1"
    if settings_module:
        # An experiment: settings that import townsquare.settings and change one thing.
        env["DJANGO_SETTINGS_MODULE"] = settings_module
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_DIR), env.get("PYTHONPATH")]))
    else:
        env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run_checked(
    cmd: list[str], env: dict[str, str], timeout: float, what: str
) -> subprocess.CompletedProcess[str]:
    try:
        out = subprocess.run(
            cmd, env=env, cwd=REPO_DIR, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise SystemExit(f"bench: {what} took longer than {timeout:.0f} s") from exc
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-4000:] + out.stderr[-4000:])
        raise SystemExit(f"bench: {what} failed with exit status {out.returncode}")
    return out


def last_json_line(text: str, prefix: str = "BENCH_JSON ") -> dict[str, Any]:
    for line in reversed(text.splitlines()):
        if line.startswith(prefix):
            parsed: dict[str, Any] = json.loads(line[len(prefix) :])
            return parsed
    raise SystemExit(f"bench: no {prefix.strip()} line in output:\n{text[-2000:]}")


def recreate_pg_database(name: str) -> None:
    common = ["-h", HOST, "-p", "5432", "-U", "postgres"]
    for cmd in (
        ["dropdb", *common, "--if-exists", "--force", name],
        ["createdb", *common, name],
    ):
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise SystemExit(f"bench: {' '.join(cmd)} failed: {out.stderr.strip()}")


def wait_for_health(
    port: int, proc: subprocess.Popen[bytes], log_path: Path, timeout: float
) -> float:
    started = time.monotonic()
    url = f"http://{HOST}:{port}/health"
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise SystemExit(f"bench: the server exited with status {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench: /health did not answer within {timeout:.0f} s")


def check_sessions(port: int, cookie_file: Path) -> dict[str, Any]:
    """Every bench cookie must give the signed-in home page with posts in it."""
    cookies = [line for line in cookie_file.read_text().splitlines() if line]
    sizes = []
    posts = []
    for cookie in cookies:
        request = urllib.request.Request(f"http://{HOST}:{port}/", headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode("utf-8", "replace")
            if response.status != 200:
                raise SystemExit(f"bench: GET / answered {response.status}")
        if LOGGED_IN_MARKER not in body:
            raise SystemExit("bench: a bench session did not get the signed-in home page")
        sizes.append(len(body))
        posts.append(body.count('<article class="post"'))
    if min(posts) == 0:
        raise SystemExit("bench: a bench member's home feed page has no posts")
    return {
        "members": len(cookies),
        "page_bytes_mean": int(statistics.mean(sizes)),
        "posts_per_page_min": min(posts),
        "posts_per_page_max": max(posts),
    }


def check_tokens(port: int, token_file: Path) -> dict[str, Any]:
    """(--api) Every bench token must get a home timeline with statuses in it."""
    tokens = [line for line in token_file.read_text().splitlines() if line]
    if not tokens:
        raise SystemExit(f"bench: no tokens in {token_file}")
    sizes = []
    statuses = []
    for token in tokens:
        request = urllib.request.Request(
            f"http://{HOST}:{port}{API_HOME_PATH}", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise SystemExit(
                f"bench: GET {API_HOME_PATH} answered {exc.code} for a bench token "
                f"(is {token_file} from this data set?)"
            ) from exc
        page = json.loads(body)
        if not isinstance(page, list):
            raise SystemExit(f"bench: GET {API_HOME_PATH} did not answer a list of statuses")
        sizes.append(len(body))
        statuses.append(len(page))
    if min(statuses) == 0:
        raise SystemExit("bench: a bench member's API home timeline is empty")
    return {
        "members": len(tokens),
        "page_bytes_mean": int(statistics.mean(sizes)),
        "statuses_per_page_min": min(statuses),
        "statuses_per_page_max": max(statuses),
    }


def run_wrk(
    port: int,
    cookie_file: Path,
    connections: int,
    seconds: int,
    threads: int,
    script: Path = LUA_SCRIPT,
    path: str = "/",
    script_args: list[str] | None = None,
) -> dict[str, Any]:
    """wrk with `script` against `path`; `cookie_file` (cookies, or tokens for the API scripts)
    and `script_args` go to the script."""
    cmd = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://{HOST}:{port}{path}",
        "--",
        str(cookie_file),
        *(script_args or []),
    ]
    before = os.times()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired as exc:
        raise SystemExit("bench: wrk did not finish in time") from exc
    after = os.times()
    if out.returncode != 0:
        raise SystemExit(f"bench: wrk failed: {out.stderr.strip()}")
    data = last_json_line(out.stdout)
    data["wrk_cpu_s"] = round(
        (after.children_user - before.children_user)
        + (after.children_system - before.children_system),
        2,
    )
    return data


def summarize_run(raw: dict[str, Any], connections: int, server_cpu_s: float) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    requests = raw["requests"]
    errors = raw["errors"]
    # wrk counts answers of 400 and above itself (`status`); the script's own count (3xx too)
    # reads 0 from wrk's threads on this wrk version, so the larger of the two is kept.
    refused = max(raw["non2xx"], errors["status"])
    ok = requests - refused
    return {
        "concurrency": connections,
        "duration_s": round(seconds, 2),
        "requests": requests,
        "requests_per_s": round(requests / seconds, 1) if seconds else 0.0,
        "ok_per_s": round(ok / seconds, 1) if seconds else 0.0,  # 2xx answers only
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        "mean_ms": round(lat["mean"] / 1000, 2),
        "non_2xx": refused,
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "wrk_errors": errors,
        "bytes_per_response": int(raw["bytes"] / requests) if requests else 0,
        "server_cpu_s": round(server_cpu_s, 2),
        "server_cpu_ms_per_request": round(server_cpu_s * 1000 / requests, 2) if requests else None,
        "server_cpu_ms_per_2xx": round(server_cpu_s * 1000 / ok, 2) if ok else None,
        "wrk_cpu_s": raw["wrk_cpu_s"],
    }


def measured_run(
    args: argparse.Namespace,
    server: subprocess.Popen[bytes],
    cookie_file: Path,
    port: int,
    connections: int,
    script: Path = LUA_SCRIPT,
    path: str = "/",
) -> dict[str, Any]:
    background, waited = wait_for_quiet(args.quiet_below, args.quiet_wait)
    cpu_before = group_cpu_seconds(server.pid)
    busy_before, total_before = machine_cpu_ticks()
    refused_before = admission_refusals(port)
    raw = run_wrk(
        port, cookie_file, connections, args.duration, args.wrk_threads, script=script, path=path
    )
    cpu = group_cpu_seconds(server.pid) - cpu_before
    busy_after, total_after = machine_cpu_ticks()
    run = summarize_run(raw, connections, cpu)
    count_refusals(run, admission_refusals(port) - refused_before)
    run["machine_cpu_busy_pct"] = round(
        100 * (busy_after - busy_before) / max(1, total_after - total_before), 1
    )
    # CPU used by neither the server nor wrk (PostgreSQL's backends, other work).
    busy_s = (busy_after - busy_before) / os.sysconf("SC_CLK_TCK")
    run["other_cpu_s"] = round(busy_s - cpu - run["wrk_cpu_s"], 2)
    run["background_busy_pct_before"] = background
    run["waited_for_quiet_s"] = waited
    return run


def metrics_text(port: int) -> str:
    """The server's /metrics page (it answers loopback)."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=10) as response:
        return str(response.read().decode())


def cache_hit_rates(port: int) -> dict[str, Any]:
    """The per-process render caches' hits and misses since the server started, from its
    /metrics (which answers loopback): the web's post cards (`post_html`) and the API's
    entities (`statuses`, `accounts`), with the hit rate of each."""
    import re

    text = metrics_text(port)
    found: dict[str, dict[str, float]] = {}
    pattern = r'^townsquare_entity_cache_(hits|misses)_total\{cache="(\w+)"\} ([0-9.e+]+)$'
    for kind, name, value in re.findall(pattern, text, flags=re.MULTILINE):
        found.setdefault(name, {"hits": 0.0, "misses": 0.0})[kind] = float(value)
    rates: dict[str, Any] = {}
    for name, seen in sorted(found.items()):
        total = seen["hits"] + seen["misses"]
        rates[name] = {
            "hits": int(seen["hits"]),
            "misses": int(seen["misses"]),
            "hit_rate": round(seen["hits"] / total, 4) if total else None,
        }
    return rates


def admission_refusals(port: int) -> int:
    """How many requests the server's admission gate has refused with 503 since it started
    (every class, every process), from its /metrics."""
    import re

    text = metrics_text(port)
    pattern = r"^townsquare_admission_refused_total\{[^}]*\} ([0-9.e+]+)$"
    return int(sum(float(value) for value in re.findall(pattern, text, flags=re.MULTILINE)))


def count_refusals(run: dict[str, Any], refused: int) -> None:
    """Splits a run's non-2xx answers into the gate's 503 refusals (what admission control is
    for, under overload) and errors (anything else that was not 2xx)."""
    run["refused_503"] = refused
    run["errors"] = max(0, run["non_2xx"] - refused)


def cache_rates_since(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The hits and misses of `after` less those of `before` (two cache_hit_rates readings)."""
    rates: dict[str, Any] = {}
    for name, seen in after.items():
        earlier = before.get(name) or {"hits": 0, "misses": 0}
        hits = seen["hits"] - earlier["hits"]
        misses = seen["misses"] - earlier["misses"]
        total = hits + misses
        rates[name] = {
            "hits": hits,
            "misses": misses,
            "hit_rate": round(hits / total, 4) if total else None,
        }
    return rates


def combine_repeats(repeats: list[dict[str, Any]]) -> dict[str, Any]:
    """One figure per concurrency: the median of each number over the repeats (all kept)."""
    if len(repeats) == 1:
        return repeats[0]
    combined: dict[str, Any] = {}
    for key, value in repeats[0].items():
        values = [run[key] for run in repeats]
        if all(v == value for v in values):
            combined[key] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            median = statistics.median(values)
            combined[key] = round(median, 2) if isinstance(median, float) else median
        else:
            combined[key] = value
    for key in ("non_2xx", "refused_503", "errors"):
        combined[key] = sum(run.get(key, 0) for run in repeats)
    combined["socket_errors"] = sum(run["socket_errors"] for run in repeats)
    combined["requests"] = sum(run["requests"] for run in repeats)
    combined["repeats"] = repeats
    return combined


def concurrency_runs(
    args: argparse.Namespace,
    server: subprocess.Popen[bytes],
    auth_file: Path,
    port: int,
    script: Path = LUA_SCRIPT,
    path: str = "/",
    what: str = "",
) -> list[dict[str, Any]]:
    """The measured runs at each concurrency (medians over --repeat), logged as they finish."""
    runs = []
    for connections in args.concurrency:
        repeats = []
        for number in range(args.repeat):
            run = measured_run(args, server, auth_file, port, connections, script, path)
            repeats.append(run)
            log(
                f"{what}c={connections}"
                f"{f' ({number + 1}/{args.repeat})' if args.repeat > 1 else ''}: "
                f"{run['requests_per_s']} req/s, p50 {run['p50_ms']} ms, "
                f"p99 {run['p99_ms']} ms, non-2xx {run['non_2xx']} "
                f"(refused 503: {run['refused_503']}, errors: {run['errors']}), server CPU {run['server_cpu_ms_per_request']} ms/request, "
                f"machine CPU busy {run['machine_cpu_busy_pct']}%"
            )
        runs.append(combine_repeats(repeats))
    return runs


def measure_api(
    args: argparse.Namespace,
    server: subprocess.Popen[bytes],
    data_dir: Path,
    port: int,
    rates_before: dict[str, Any],
) -> dict[str, Any]:
    """(--api) The Mastodon API home timeline on the running server, after the web runs."""
    token_file = data_dir / "tokens.txt"
    check = check_tokens(port, token_file)
    log(f"API tokens ok ({check})")
    log(f"API warm-up {args.warmup} s at c=8: GET {API_HOME_PATH}")
    run_wrk(
        port,
        token_file,
        8,
        args.warmup,
        args.wrk_threads,
        script=API_LUA_SCRIPT,
        path=API_HOME_PATH,
    )
    runs = concurrency_runs(args, server, token_file, port, API_LUA_SCRIPT, API_HOME_PATH, "API ")
    if server.poll() is not None:
        raise SystemExit("bench: the server died during the API runs")
    rates = cache_rates_since(rates_before, cache_hit_rates(port))
    log(f"render caches over the API runs: {rates}")
    memory = group_rss_mb(server.pid)
    log("memory after the API runs: " + ", ".join(f"{row['rss_mb']} MB" for row in memory))
    return {
        "path": API_HOME_PATH,
        "scopes": API_SCOPES,
        "cache_hit_rates": rates,  # over the API warm-up and runs only
        "process_rss_mb": memory,
        "token_check": check,
        "warmup_s": args.warmup,
        "runs": runs,
    }


def post_limits(env: dict[str, str], *extra: str) -> dict[str, Any]:
    """(--api-post) The `_post_limits` child: the write limits' counters for 127.0.0.1 and the
    token members (`--reset` clears them; `--since T` also counts the posts made since T)."""
    out = run_checked(
        [sys.executable, __file__, "_post_limits", *extra],
        env,
        timeout=300,
        what="reading the write rate limits",
    )
    return last_json_line(out.stdout)


def measure_api_post(
    args: argparse.Namespace,
    server: subprocess.Popen[bytes],
    env: dict[str, str],
    data_dir: Path,
    port: int,
) -> dict[str, Any]:
    """(--api-post) POST /api/v1/statuses with wrk at concurrency 8 for --api-post seconds,
    rotating the tokens, on the running server (no job workers: the fan-out jobs wait)."""
    token_file = data_dir / "tokens.txt"
    before = post_limits(env, "--reset")
    ip_limit = before["api_writes_per_ip"]
    member_limit = before["posts_per_account"]
    log(
        f"API posting: cleared the write counters (used before: {ip_limit['used']} API writes "
        f"from {ip_limit['address']}, {member_limit['used_total']} posts by the "
        f"{member_limit['members']} token members); budget {before['budget_posts']:,} posts "
        f"({ip_limit['limit']:,} API writes an hour from one address, {member_limit['limit']} "
        "posts an hour per member)"
    )
    if before["window_ends_in_s"] < args.api_post + args.quiet_wait:
        log("note: the limits' hourly window may start again during the run (more budget)")
    tag = time.strftime("%Y%m%d%H%M%S")
    log(f"API posting {args.api_post} s at c={API_POST_CONCURRENCY}: POST {API_POST_PATH}")
    background, waited = wait_for_quiet(args.quiet_below, args.quiet_wait)
    started_at = time.time()
    cpu_before = group_cpu_seconds(server.pid)
    busy_before, total_before = machine_cpu_ticks()
    refused_before = admission_refusals(port)
    raw = run_wrk(
        port,
        token_file,
        API_POST_CONCURRENCY,
        args.api_post,
        args.wrk_threads,
        script=API_POST_LUA_SCRIPT,
        path=API_POST_PATH,
        script_args=[tag],
    )
    cpu = group_cpu_seconds(server.pid) - cpu_before
    busy_after, total_after = machine_cpu_ticks()
    if server.poll() is not None:
        raise SystemExit("bench: the server died during the API posting run")
    run = summarize_run(raw, API_POST_CONCURRENCY, cpu)
    count_refusals(run, admission_refusals(port) - refused_before)
    run["machine_cpu_busy_pct"] = round(
        100 * (busy_after - busy_before) / max(1, total_after - total_before), 1
    )
    busy_s = (busy_after - busy_before) / os.sysconf("SC_CLK_TCK")
    run["other_cpu_s"] = round(busy_s - cpu - run["wrk_cpu_s"], 2)
    run["background_busy_pct_before"] = background
    run["waited_for_quiet_s"] = waited
    limited = raw["status_429"]
    run["status_429"] = limited
    run["status_5xx"] = raw["status_5xx"]
    run["status_429_share"] = round(limited / run["requests"], 4) if run["requests"] else 0.0
    run["rate_limited"] = limited > API_POST_LIMITED_SHARE * run["requests"]
    run["posts_acknowledged"] = run["requests"] - run["non_2xx"]
    after = post_limits(env, "--since", f"{started_at:.3f}")
    log(
        f"API posting c={API_POST_CONCURRENCY}: {run['ok_per_s']} posts/s acknowledged "
        f"({run['posts_acknowledged']:,}; {after['posts_created']:,} made), p50 {run['p50_ms']} ms, "
        f"p99 {run['p99_ms']} ms, non-2xx {run['non_2xx']} (429: {limited}, 5xx: "
        f"{run['status_5xx']}), server CPU {run['server_cpu_ms_per_2xx']} ms/post, "
        f"{after['jobs_waiting']:,} jobs waiting"
    )
    if run["rate_limited"]:
        log(
            f"WARNING: {limited:,} of {run['requests']:,} posting answers were 429 (rate "
            f"limited): the budget is {before['budget_posts']:,} posts a run; the posts/s "
            "figure is diluted (see server_posts_per_s): shorten --api-post"
        )
    elif limited:
        log(f"note: {limited} posting answers were 429 (rate limited)")
    return {
        "path": API_POST_PATH,
        "body": "status=Bench+post+<run>-<thread>-<n>+... (form-encoded, default visibility)",
        "seconds": args.api_post,
        "run_tag": tag,
        "job_workers": 0,  # the server runs --no-worker: the fan-out jobs wait in the queue
        "rate_limits_before": before,  # read, then cleared, before the run
        "rate_limits_after": after,
        "posts_created": after["posts_created"],
        # posts made over the span from the first to the last (the rate while not limited)
        "server_posts_per_s": after["posts_per_s"],
        "jobs_waiting": after["jobs_waiting"],
        "runs": [run],
    }


def measure_home(
    args: argparse.Namespace, env: dict[str, str], data_dir: Path, port: int
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]:
    """The web home page's runs and, with --api, then the API home timeline's and, with
    --api-post, the API posting run (same server)."""
    log_path = data_dir / "server.log"
    cmd = [
        *townsquare_cmd(),
        "serve",
        "--no-worker",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
    ]
    log(f"starting: {' '.join(cmd[-9:])}")
    server = start_process(cmd, env, log_path)
    try:
        startup = wait_for_health(port, server, log_path, timeout=120)
        cookie_file = data_dir / "sessions.txt"
        check = check_sessions(port, cookie_file)
        log(f"server up in {startup:.1f} s; sessions ok ({check})")
        log(f"warm-up {args.warmup} s at c=8")
        run_wrk(port, cookie_file, 8, args.warmup, args.wrk_threads)
        runs = concurrency_runs(args, server, cookie_file, port)
        if server.poll() is not None:
            raise SystemExit("bench: the server died during the run")
        rates = cache_hit_rates(port)
        log(f"render caches: {rates}")
        memory = group_rss_mb(server.pid)
        log("memory after the runs: " + ", ".join(f"{row['rss_mb']} MB" for row in memory))
        home = {
            "cache_hit_rates": rates,
            "process_rss_mb": memory,
            "server": {
                "command": "townsquare serve --no-worker --workers "
                f"{args.workers} --threads {args.threads}",
                "workers": args.workers,
                "threads": args.threads,
                "startup_s": round(startup, 2),
            },
            "session_check": check,
            "warmup_s": args.warmup,
            "runs": runs,
        }
        api = measure_api(args, server, data_dir, port, rates) if args.api else None
        posting = None
        if args.api and args.api_post > 0:
            posting = measure_api_post(args, server, env, data_dir, port)
        return home, api, posting
    finally:
        stop_process(server)


def measure_fanout(
    args: argparse.Namespace, env: dict[str, str], data_dir: Path, backlog_s: float = 0.0
) -> dict[str, Any]:
    """`backlog_s`: more time allowed for the workers to drain jobs queued before (those of the
    --api-post run) until the queue is empty and the first post is timed."""
    workers = []
    try:
        for n in range(args.job_workers):
            log_path = data_dir / f"worker-{n}.log"
            workers.append((start_process([*townsquare_cmd(), "worker"], env, log_path), log_path))
        deadline = time.monotonic() + 120
        for proc, log_path in workers:
            while "job worker running" not in log_path.read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise SystemExit(f"bench: a job worker did not start:\n{tail}")
                time.sleep(0.1)
        time.sleep(1.0)  # let each worker reach its polling loop
        log(f"{args.job_workers} job worker(s) running; timing fan-out ({args.fanout_runs} posts)")
        out = run_checked(
            [sys.executable, __file__, "_fanout", "--runs", str(args.fanout_runs)],
            env,
            timeout=60 + args.fanout_runs * 90 + backlog_s,
            what="fan-out measurement",
        )
        result = last_json_line(out.stdout)
        if result.get("queue_backlog_jobs"):
            log(
                f"the workers drained {result['queue_backlog_jobs']:,} queued jobs in "
                f"{result['queue_drain_s']} s before the first timed post"
            )
        for proc, _ in workers:
            if proc.poll() is not None:
                raise SystemExit("bench: a job worker died during the fan-out runs")
        result["job_workers"] = args.job_workers
        return result
    finally:
        for proc, _ in workers:
            stop_process(proc)


def run_database(args: argparse.Namespace, database: str, size: dict[str, int]) -> dict[str, Any]:
    label = "small" if args.small else "full"
    data_dir = (args.data_root / f"{database}-{label}").resolve()
    port = args.port or free_port()
    env = bench_env(database, data_dir, port, args.redis)
    serve_env = bench_env(database, data_dir, port, args.redis, args.django_settings)
    seed_info: dict[str, Any] | None = None
    ready_marker = data_dir / "seeded.json"
    if args.reuse and ready_marker.exists():
        seed_info = json.loads(ready_marker.read_text())
        seed_info["reused"] = True
        log(f"{database}: reusing the seeded data in {data_dir}")
    else:
        log(f"{database}: fresh data dir {data_dir}")
        if data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True)
        if database == "postgres":
            recreate_pg_database(pg_database(args.small))
        started = time.monotonic()
        run_checked([*townsquare_cmd(), "migrate"], env, timeout=600, what="migrate")
        migrate_s = time.monotonic() - started
        log(f"{database}: migrated in {migrate_s:.1f} s; seeding {size}")
        out = run_checked(
            [
                sys.executable,
                __file__,
                "_seed",
                "--members",
                str(size["members"]),
                "--posts",
                str(size["posts"]),
                "--sessions",
                str(args.sessions),
                "--fanout-followers",
                str(args.fanout_followers or size["members"]),
                "--seed",
                str(args.seed),
                *(["--sqlite-analyze"] if args.sqlite_analyze else []),
                *(["--api"] if args.api else []),
            ],
            env,
            timeout=args.seed_timeout,
            what="seeding",
        )
        sys.stderr.write(out.stderr)
        seed_info = last_json_line(out.stdout)
        seed_info["migrate_s"] = round(migrate_s, 2)
        ready_marker.write_text(json.dumps(seed_info, indent=2))
    api_tokens = ensure_api_tokens(env, data_dir, seed_info) if args.api else None
    if args.api and args.skip_home:
        log("--api: the API runs follow the web runs, so --skip-home skips them too")
        if args.api_post:
            log("--api-post: skipped with them")
    for item in args.set or []:
        key, _, value = item.partition("=")
        if not key.startswith("TOWNSQUARE_") or key in ("TOWNSQUARE_DATABASE_URL",):
            raise SystemExit(f"bench: --set takes TOWNSQUARE_ settings, not {key}")
        serve_env[key] = value
    home, api, posting = (
        (None, None, None) if args.skip_home else measure_home(args, serve_env, data_dir, port)
    )
    if api is not None:
        api["tokens"] = api_tokens
    if posting is not None:
        posting["tokens"] = api_tokens
    # The posting run's fan-out jobs are drained before the first timed post: allow for them.
    backlog_s = 0.2 * posting["jobs_waiting"] if posting else 0.0
    fanout = measure_fanout(args, serve_env, data_dir, backlog_s) if args.fanout_runs > 0 else None
    result = {
        "database": database,
        "redis": args.redis,
        "django_settings": args.django_settings or "townsquare.settings",
        "label": args.label,
        "size": label,
        "data_dir": str(data_dir),
        "extra_settings": args.set or [],
        "seed": seed_info,
        "home_feed": home,
        "fanout": fanout,
    }
    if args.api:
        result["api_home"] = api
    if args.api_post > 0:
        result["api_post"] = posting
    return result


def ensure_api_tokens(
    env: dict[str, str], data_dir: Path, seed_info: dict[str, Any]
) -> dict[str, Any]:
    """(--api) The session members' bearer tokens in tokens.txt: made by the seed, found from
    an earlier run, or made now by a child process (`_tokens`) on a reused data set."""
    token_file = data_dir / "tokens.txt"
    if token_file.exists() and token_file.read_text().strip():
        count = len([line for line in token_file.read_text().splitlines() if line])
        made = "seed" if seed_info.get("api_tokens") and not seed_info.get("reused") else "before"
        return {"file": str(token_file), "count": count, "made": made}
    log(f"no API tokens in {data_dir} yet: making one for each session member")
    out = run_checked(
        [sys.executable, __file__, "_tokens"], env, timeout=600, what="making API tokens"
    )
    info = last_json_line(out.stdout)
    log(f"made {info['tokens']} API tokens in {info['seconds']} s")
    return {"file": str(token_file), "count": info["tokens"], "made": "now", **info}


def _errors(run: dict[str, Any]) -> int:
    """A run's non-2xx answers other than the gate's refusals (older results: all of them)."""
    return int(run["errors"] if "errors" in run else run["non_2xx"])


def verdicts(result: dict[str, Any]) -> dict[str, Any]:
    home = result["home_feed"]
    runs = {run["concurrency"]: run for run in home["runs"]} if home else {}
    out: dict[str, Any] = {}
    c8 = runs.get(8)
    if c8:
        out["home_rps_c8"] = c8["requests_per_s"] >= TARGETS["home_rps_c8_min"]
        out["home_p99_c8"] = c8["p99_ms"] <= TARGETS["home_p99_ms_c8_max"]
    # The gate's 503 refusals under overload (c=64) are admission control at work, not errors.
    out["no_errors"] = not any(_errors(run) for run in runs.values())
    if result.get("api_home"):
        out["api_no_errors"] = not any(_errors(run) for run in result["api_home"]["runs"])
    if result.get("api_post"):
        posting = result["api_post"]["runs"]
        out["api_post_no_errors"] = not any(_errors(r) - r["status_429"] for r in posting)
        out["api_post_not_rate_limited"] = not any(r["rate_limited"] for r in posting)
    fan = result.get("fanout")
    if fan and fan.get("followers", 0) >= 10_000:
        out["fanout_10k"] = fan["median_s"] <= TARGETS["fanout_10k_s_max"]
    return out


def _row_name(result: dict[str, Any]) -> str:
    name = result["database"] + ("+redis" if result["redis"] else "")
    return name + (f" {result['label']}" if result.get("label") else "")


def _print_runs(results: list[dict[str, Any]], key: str, header: str) -> None:
    """The wrk runs of `key` ("home_feed" or "api_home") of each result, a line each."""
    print(header)
    print("-" * len(header))
    for result in results:
        for run in (result.get(key) or {}).get("runs", []):
            print(
                f"{_row_name(result):22} {result['size']:6} {run['concurrency']:>4} "
                f"{run['requests_per_s']:>8.1f} {run['p50_ms']:>8.2f} {run['p99_ms']:>8.2f} "
                f"{run['non_2xx']:>7} {run['server_cpu_ms_per_request'] or 0:>14.2f}"
            )


def print_table(results: list[dict[str, Any]]) -> None:
    print()
    header = (
        f"{'database':22} {'size':6} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'non-2xx':>7} {'srv CPU ms/req':>14}"
    )
    _print_runs(results, "home_feed", header)
    if any(result.get("api_home") for result in results):
        print()
        print(f"API home timeline: GET {API_HOME_PATH} (bearer tokens)")
        _print_runs(results, "api_home", header)
    if any(result.get("api_post") for result in results):
        print()
        print(
            f"API posting: POST {API_POST_PATH} (bearer tokens; fan-out jobs queued, not run); "
            "posts/s = 2xx answers a second"
        )
        post_header = (
            f"{'database':22} {'size':6} {'conc':>4} {'posts/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'non-2xx':>7} {'429':>6} {'srv CPU ms/post':>15}"
        )
        print(post_header)
        print("-" * len(post_header))
        for result in results:
            name = _row_name(result)
            posting = result.get("api_post") or {}
            for run in posting.get("runs", []):
                print(
                    f"{name:22} {result['size']:6} {run['concurrency']:>4} "
                    f"{run['ok_per_s']:>8.1f} {run['p50_ms']:>8.2f} {run['p99_ms']:>8.2f} "
                    f"{run['non_2xx']:>7} {run['status_429']:>6} "
                    f"{run['server_cpu_ms_per_2xx'] or 0:>15.2f}"
                    + ("  RATE LIMITED" if run["rate_limited"] else "")
                )
            if posting:
                budget = posting["rate_limits_before"]["budget_posts"]
                print(
                    f"{'':22} {posting['posts_created']:,} posts made in {posting['seconds']} s "
                    f"(budget {budget:,} a run), {posting['server_posts_per_s'] or 0:.1f} posts/s "
                    f"first to last; {posting['jobs_waiting']:,} jobs left queued"
                )
            for run in posting.get("runs", []):
                if run["rate_limited"]:
                    print(
                        f"{'':22} WARNING: {run['status_429']:,} of {run['requests']:,} answers "
                        "were 429 (rate limited): shorten --api-post"
                    )
    print()
    for result in results:
        name = result["database"] + ("+redis" if result["redis"] else "")
        for key, shown in (("home_feed", name), ("api_home", name + " API")):
            for cache, seen in ((result.get(key) or {}).get("cache_hit_rates") or {}).items():
                if seen["hits"] or seen["misses"]:
                    print(
                        f"cache   {shown:16} {cache:10} hit rate {seen['hit_rate']:.1%} "
                        f"({seen['hits']:,} hits, {seen['misses']:,} misses)"
                    )
    for result in results:
        fan = result.get("fanout")
        name = _row_name(result)
        if fan:
            times = ", ".join(f"{t:.3f}" for t in fan["times_s"])
            print(
                f"fan-out {name:16} {fan['followers']:,} followers, {fan['job_workers']} job "
                f"workers: median {fan['median_s']:.3f} s (runs: {times})"
            )
    for result in results:
        seed = result["seed"]
        print(
            f"seed    {result['database']:10} {seed['users']:,} members, {seed['posts']:,} posts, "
            f"{seed['follows']:,} follows, {seed['timeline_entries']:,} home-feed rows in "
            f"{seed['seed_s']:.0f} s{' (reused)' if seed.get('reused') else ''}"
        )
    print()
    print(
        f"targets: home feed >= {TARGETS['home_rps_c8_min']:.0f} pages/s at c=8 with p99 <= "
        f"{TARGETS['home_p99_ms_c8_max']:.0f} ms; fan-out to 10,000 followers <= "
        f"{TARGETS['fanout_10k_s_max']:.0f} s"
    )
    for result in results:
        print(f"verdict {result['database']:10} {result['verdicts']}")


def orchestrate(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is not installed (apt-get install -y wrk)")
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    size = dict(SIZES["small" if args.small else "full"])
    if args.members:
        size["members"] = args.members
    if args.posts:
        size["posts"] = args.posts
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    machine = machine_info()
    log(f"machine: {machine['nproc']} CPUs, {machine['cpu_model']}, Python {machine['python']}")
    results = []
    for database in databases:
        started = dt.datetime.now(dt.UTC)
        result = run_database(args, database, size)
        result["started_at"] = started.isoformat(timespec="seconds")
        result["machine"] = machine
        result["targets"] = TARGETS
        result["settings"] = {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "repeat": args.repeat,
            "wrk_threads": args.wrk_threads,
            "sessions": args.sessions,
            "seed": args.seed,
            "requested_size": size,
        }
        if args.api:
            result["settings"]["api_path"] = API_HOME_PATH
        if args.api_post:
            result["settings"]["api_post_s"] = args.api_post
            result["settings"]["api_post_concurrency"] = API_POST_CONCURRENCY
        result["verdicts"] = verdicts(result)
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        suffix = ("-redis" if args.redis else "") + (f"-{args.label}" if args.label else "")
        path = RESULTS_DIR / f"{stamp}-{database}{suffix}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        log(f"wrote {path.relative_to(REPO_DIR)}")
        results.append(result)
    print_table(results)
    return 0


# --------------------------------------------------------------------------------------------
# Seeding (child process, Django set up for the target database)
# --------------------------------------------------------------------------------------------

WORDS = [
    "garden",
    "market",
    "library",
    "school",
    "bus",
    "council",
    "park",
    "river",
    "bridge",
    "festival",
    "choir",
    "bakery",
    "football",
    "chess",
    "match",
    "weekend",
    "morning",
    "evening",
    "rain",
    "sunshine",
    "volunteers",
    "meeting",
    "agenda",
    "tomatoes",
    "compost",
    "bicycle",
    "repair",
    "cafe",
    "concert",
    "tickets",
    "parking",
    "roadworks",
    "recycling",
    "bins",
    "museum",
    "exhibition",
    "photos",
    "lost",
    "found",
    "cat",
    "dog",
    "walk",
    "trail",
    "neighbours",
    "welcome",
    "thanks",
    "question",
    "answer",
    "update",
    "reminder",
    "tonight",
    "tomorrow",
    "saturday",
    "sunday",
    "club",
    "practice",
    "team",
    "harvest",
    "soup",
    "recipe",
    "bread",
    "coffee",
    "tea",
    "pub",
    "quiz",
    "winners",
    "results",
    "history",
    "tour",
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "is",
    "on",
    "for",
    "with",
    "at",
    "this",
    "that",
    "we",
    "our",
    "you",
    "it",
    "be",
    "are",
    "will",
]


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    sys.path.insert(0, str(REPO_DIR))
    import django

    django.setup()


class BulkWriter:
    """Fast inserts: executemany on SQLite, COPY on PostgreSQL; defaults for unnamed columns."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor

    def _layout(
        self, model: Any, supplied: tuple[str, ...]
    ) -> tuple[str, list[str], tuple[Any, ...]]:
        from django.db import models
        from django.db.models.fields import NOT_PROVIDED

        meta = model._meta
        columns = [meta.get_field(name).column for name in supplied]
        tail_cols, tail = [], []
        for field in meta.concrete_fields:
            if field.name in supplied or field.attname in supplied:
                continue
            if isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField):
                continue
            if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
                continue
            value = field.get_default()
            if value is None and not field.null:
                raise SystemExit(f"seed: {meta.label}.{field.name} needs a value in the bench seed")
            tail_cols.append(field.column)
            tail.append(field.get_db_prep_save(value, self.connection))
        return meta.db_table, columns + tail_cols, tuple(tail)

    def insert(self, model: Any, supplied: tuple[str, ...], rows: Any, chunk: int = 50_000) -> int:
        table, columns, tail = self._layout(model, supplied)
        quote = self.connection.ops.quote_name
        cols = ", ".join(quote(c) for c in columns)
        count = 0
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f"COPY {quote(table)} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + tail)
                        count += 1
            else:
                import sqlite3

                raw = cursor.cursor
                run_many = sqlite3.Cursor.executemany  # the plain driver call: "?" placeholders
                sql = (
                    f"INSERT INTO {quote(table)} ({cols}) VALUES ({', '.join('?' * len(columns))})"
                )
                batch: list[tuple[Any, ...]] = []
                for row in rows:
                    batch.append(row + tail)
                    if len(batch) >= chunk:
                        run_many(raw, sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    run_many(raw, sql, batch)
                    count += len(batch)
        return count


def seed(args: argparse.Namespace) -> int:
    import bisect
    import heapq
    import itertools
    import math
    import random
    import secrets

    _django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connection, transaction
    from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]

    from townsquare.accounts.models import User, UserSession
    from townsquare.core.ids import id_for_time
    from townsquare.feeds.models import TimelineEntry
    from townsquare.graph.models import Follow
    from townsquare.posts.models import Post, Visibility

    rng = random.Random(args.seed)
    writer = BulkWriter()
    vendor = connection.vendor
    adapt_dt = connection.ops.adapt_datetimefield_value
    utc = dt.UTC
    now = time.time()
    timings: dict[str, float] = {}
    t_all = time.monotonic()

    connection.ensure_connection()
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # Rows are consistent by construction: skip per-row foreign-key triggers and fsyncs.
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '512MB'")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -1000000")

    n = args.members
    total_users = n + 1  # the members plus the widely followed account
    # ---- members -----------------------------------------------------------------------------
    t = time.monotonic()
    users_since = now - (POST_DAYS + 60) * 86400
    user_ids = [id_for_time(users_since + i * 60) for i in range(total_users)]
    star_id = user_ids[-1]
    locked = {uid for uid in user_ids[:n] if rng.random() < 0.05}
    created_users = adapt_dt(dt.datetime.fromtimestamp(users_since, utc))

    def user_rows() -> Any:
        for i, uid in enumerate(user_ids):
            name = STAR_USERNAME if uid == star_id else f"member{i:06d}"
            display = "Town Crier" if uid == star_id else f"Member {i}"
            yield (
                uid,
                name,
                f"{name}@bench.invalid",
                "!" + secrets.token_hex(20),  # an unusable password: sessions are made directly
                True,
                "member",
                True,
                created_users,
                display,
                uid in locked,
            )

    fields = (
        "id",
        "username",
        "email",
        "password",
        "email_confirmed",
        "role",
        "is_active",
        "created_at",
        "display_name",
        "locked",
    )
    with transaction.atomic():
        writer.insert(User, fields, user_rows())
    timings["users_s"] = time.monotonic() - t

    # ---- follow graph: popularity-ranked (Zipf) picks mixed with uniform ones ------------------
    t = time.monotonic()
    popularity = user_ids[:n]
    rng.shuffle(popularity)  # rank -> member
    weights = [1.0 / (rank + 3) for rank in range(n)]
    cum = list(itertools.accumulate(weights))
    top = cum[-1]
    following: dict[int, list[int]] = {}
    for uid in user_ids[:n]:
        want = int(min(n - 1, 1000, max(3, rng.lognormvariate(math.log(30), 0.8))))
        chosen: set[int] = set()
        tries = 0
        while len(chosen) < want and tries < want * 20:
            tries += 1
            if rng.random() < 0.4:
                other = popularity[rng.randrange(n)]
            else:
                other = popularity[bisect.bisect(cum, rng.random() * top)]
            if other != uid:
                chosen.add(other)
        following[uid] = sorted(chosen)
    star_followers = set(rng.sample(user_ids[:n], min(args.fanout_followers, n)))
    for uid in star_followers:
        following[uid].append(star_id)
    following[star_id] = []
    follow_since = now - (POST_DAYS + 30) * 86400
    follow_created = adapt_dt(dt.datetime.fromtimestamp(follow_since, utc))
    follow_base = id_for_time(follow_since)

    def follow_rows() -> Any:
        seq = 0
        for follower, followees in following.items():
            for followee in followees:
                seq += 1
                yield (follow_base + seq, follower, followee, follow_created)

    with transaction.atomic():
        follows = writer.insert(
            Follow, ("id", "follower_id", "followee_id", "created_at"), follow_rows()
        )
    timings["follows_s"] = time.monotonic() - t

    # ---- posts: time-ordered ids over the past weeks, long-tailed activity --------------------
    t = time.monotonic()
    activity = [rng.lognormvariate(0, 1.0) for _ in range(total_users)]
    act_cum = list(itertools.accumulate(activity))
    act_top = act_cum[-1]
    window_start = now - POST_DAYS * 86400
    window = POST_DAYS * 86400 - 60
    stamps = sorted(window_start + rng.random() * window for _ in range(args.posts))
    texts = []
    for _ in range(20_000):
        words = rng.choices(WORDS, k=rng.randint(6, 40))
        words[0] = words[0].capitalize()
        texts.append(" ".join(words) + rng.choice([".", "!", "?", "."]))
    visibilities = [Visibility.PUBLIC] * 8 + [Visibility.UNLISTED, Visibility.FOLLOWERS]
    by_author: dict[int, list[int]] = {}

    def post_rows() -> Any:
        previous = 0
        for stamp in stamps:
            pid = max(id_for_time(stamp), previous + 1)
            previous = pid
            author = user_ids[bisect.bisect(act_cum, rng.random() * act_top)]
            by_author.setdefault(author, []).append(pid)
            text = texts[rng.randrange(len(texts))]
            yield (
                pid,
                author,
                text,
                f"<p>{text}</p>",
                int(rng.choice(visibilities)),
                adapt_dt(dt.datetime.fromtimestamp(stamp, utc)),
            )

    with transaction.atomic():
        posts = writer.insert(
            Post, ("id", "author_id", "text", "html", "visibility", "created_at"), post_rows()
        )
    timings["posts_s"] = time.monotonic() - t

    # ---- home feeds: the newest HOME_CAP posts of the followed accounts and one's own ----------
    t = time.monotonic()
    newest = {
        author: [(pid, author) for pid in reversed(ids[-HOME_CAP:])]
        for author, ids in by_author.items()
    }
    feed_sizes: list[int] = []

    def timeline_rows() -> Any:
        for owner in user_ids:
            sources = [newest[a] for a in [owner, *following[owner]] if a in newest]
            merged = heapq.merge(*sources, reverse=True)
            size = 0
            for pid, author in itertools.islice(merged, HOME_CAP):
                size += 1
                yield (owner, pid, author)
            feed_sizes.append(size)

    with transaction.atomic():
        entries = writer.insert(
            TimelineEntry, ("owner_id", "post_id", "author_id"), timeline_rows()
        )
    timings["timelines_s"] = time.monotonic() - t

    # ---- statistics for the planner, as a running site would have them -------------------------
    t = time.monotonic()
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("VACUUM ANALYZE")  # Django runs in autocommit outside atomic()
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = ON")
            if args.sqlite_analyze:
                cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timings["analyze_s"] = time.monotonic() - t

    # ---- signed-in sessions for the measured members ------------------------------------------
    from importlib import import_module

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    candidates = [uid for uid, size in zip(user_ids[:n], feed_sizes[:n], strict=True) if size >= 20]
    chosen_members = rng.sample(candidates, min(args.sessions, len(candidates)))
    lines = []
    session_users = []
    for user in User.objects.filter(pk__in=chosen_members).order_by("pk"):
        session_users.append(user)
        session = store_class()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = "townsquare.accounts.backends.UsernameOrEmailBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        UserSession.objects.create(
            user=user, session_key=session.session_key, ip=HOST, user_agent="wrk (bench)"
        )
        lines.append(
            f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"
        )
    data_dir = Path(settings.DATA_DIR)
    (data_dir / "sessions.txt").write_text("\n".join(lines) + "\n")
    api_tokens = None
    if args.api:  # bearer tokens for the same members, in the same order
        t = time.monotonic()
        api_tokens = make_api_tokens(session_users, data_dir)
        timings["api_tokens_s"] = time.monotonic() - t

    followers_count: dict[int, int] = {}
    for followees in following.values():
        for followee in followees:
            followers_count[followee] = followers_count.get(followee, 0) + 1
    counts = sorted((followers_count.get(uid, 0) for uid in user_ids[:n]), reverse=True)
    db_bytes = None
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            db_bytes = cursor.fetchone()[0]
    else:
        db_bytes = Path(settings.DATABASES["default"]["NAME"]).stat().st_size
    info = {
        "users": total_users,
        "members": n,
        "posts": posts,
        "follows": follows,
        "timeline_entries": entries,
        "home_cap": HOME_CAP,
        "post_days": POST_DAYS,
        "fanout_account": STAR_USERNAME,
        "fanout_account_followers": len(star_followers),
        "followers_top5": counts[:5],
        "followers_median": counts[len(counts) // 2],
        "members_over_1000_followers": sum(1 for c in counts if c > 1000),
        "follows_per_member_mean": round(follows / n, 1),
        "home_feed_rows_median": sorted(feed_sizes)[len(feed_sizes) // 2],
        "locked_members": len(locked),
        "sessions": len(lines),
        **({"api_tokens": api_tokens} if args.api else {}),
        "sqlite_analyze": bool(args.sqlite_analyze) if vendor == "sqlite" else None,
        "database_bytes": db_bytes,
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "seed_s": round(time.monotonic() - t_all, 2),
    }
    print("BENCH_JSON " + json.dumps(info), flush=True)
    return 0


def make_api_tokens(users: list[Any], data_dir: Path) -> int:
    """(--api) One OAuth application and, for each of `users`, an access token with API_SCOPES,
    made with the ORM as tests/api/conftest.py's make_token does; the raw tokens go to
    tokens.txt in the data dir, one a line, in the order of `users`."""
    import secrets

    from django.db import transaction
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, get_application_model
    from oauth2_provider.settings import oauth2_settings

    from townsquare.api.models import AppInfo

    application_model = get_application_model()
    token_model = get_access_token_model()
    expires = timezone.now() + dt.timedelta(seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
    tokens = []
    with transaction.atomic():
        app = application_model.objects.create(
            name="feed bench",
            client_type=application_model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application_model.GRANT_AUTHORIZATION_CODE,
            redirect_uris="urn:ietf:wg:oauth:2.0:oob",
        )
        AppInfo.objects.create(application=app, scopes=API_SCOPES)
        for user in users:
            raw = secrets.token_urlsafe(24)
            token_model.objects.create(
                user=user, application=app, token=raw, scope=API_SCOPES, expires=expires
            )
            tokens.append(raw)
    # Written once the rows are in, so that a tokens.txt always has its tokens in the database.
    partial = data_dir / "tokens.txt.partial"
    partial.write_text("\n".join(tokens) + "\n")
    partial.replace(data_dir / "tokens.txt")
    return len(tokens)


def tokens_command(args: argparse.Namespace) -> int:
    """(--api on a reused data set without tokens.txt) Tokens for the members whose sessions
    are in sessions.txt, in that file's order."""
    started = time.monotonic()
    _django()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import SESSION_KEY

    from townsquare.accounts.models import User, UserSession

    data_dir = Path(settings.DATA_DIR)
    keys = []
    for line in (data_dir / "sessions.txt").read_text().splitlines():
        cookies = dict(part.strip().split("=", 1) for part in line.split(";") if "=" in part)
        if settings.SESSION_COOKIE_NAME in cookies:
            keys.append(cookies[settings.SESSION_COOKIE_NAME])
    if not keys:
        raise SystemExit(f"tokens: no session cookies in {data_dir / 'sessions.txt'}")
    # The seed records each session as a UserSession; the session itself says so too.
    owners = dict(
        UserSession.objects.filter(session_key__in=keys).values_list("session_key", "user_id")
    )
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    member_ids = []
    for key in keys:
        owner = owners.get(key) or store_class(session_key=key).get(SESSION_KEY)
        if owner is None:
            raise SystemExit(f"tokens: no member for the session {key[:8]}... in sessions.txt")
        member_ids.append(int(owner))
    members = User.objects.in_bulk(member_ids)
    made = make_api_tokens([members[pk] for pk in member_ids], data_dir)
    info = {"tokens": made, "seconds": round(time.monotonic() - started, 2)}
    print("BENCH_JSON " + json.dumps(info), flush=True)
    return 0


def post_limits_command(args: argparse.Namespace) -> int:
    """(--api-post) The write limits that posting through the API counts against, for the
    address wrk sends from (127.0.0.1: API_WRITES_PER_IP) and the members whose tokens are in
    tokens.txt (POSTS_PER_ACCOUNT): what this window has used; with --reset those counters are
    cleared afterwards (nothing else is touched); with --since T, the posts those members made
    since T (epoch seconds) and the jobs waiting in the queue."""
    _django()
    from django.conf import settings
    from django.db.models import Count, Max, Min
    from django_tasks_db.models import DBTaskResult
    from oauth2_provider.models import get_access_token_model

    from townsquare.core import ratelimit
    from townsquare.posts.models import Post

    data_dir = Path(settings.DATA_DIR)
    raw = [line for line in (data_dir / "tokens.txt").read_text().splitlines() if line]
    members = sorted(
        set(
            get_access_token_model().objects.filter(token__in=raw).values_list("user_id", flat=True)
        )
    )
    if not members:
        raise SystemExit(f"post limits: no member has a token from {data_dir / 'tokens.txt'}")
    ip_limit = ratelimit.API_WRITES_PER_IP
    post_limit = ratelimit.POSTS_PER_ACCOUNT
    ip_used = ip_limit.used(HOST)
    member_used = [post_limit.used(str(pk)) for pk in members]
    info: dict[str, Any] = {
        "api_writes_per_ip": {
            "limit": ip_limit.count,
            "window_s": ip_limit.seconds,
            "address": HOST,
            "used": ip_used,  # refused attempts count too
        },
        "posts_per_account": {
            "limit": post_limit.count,
            "window_s": post_limit.seconds,
            "members": len(members),
            "used_total": sum(member_used),
            "used_max": max(member_used),
        },
        # The windows are fixed (on the hour for both): they start again in this many seconds.
        "window_ends_in_s": ip_limit.seconds - int(time.time()) % ip_limit.seconds,
    }
    if args.reset:
        ip_limit.reset(HOST)
        for pk in members:
            post_limit.reset(str(pk))
        ip_used, member_used = 0, [0] * len(members)
        info["reset"] = True
    info["budget_posts"] = min(
        max(0, ip_limit.count - ip_used), sum(max(0, post_limit.count - u) for u in member_used)
    )
    if args.since is not None:
        since = dt.datetime.fromtimestamp(args.since, dt.UTC)
        made = Post.objects.filter(author_id__in=members, created_at__gte=since).aggregate(
            count=Count("id"), first=Min("created_at"), last=Max("created_at")
        )
        span = (made["last"] - made["first"]).total_seconds() if made["count"] > 1 else None
        info["posts_created"] = made["count"]
        info["posts_first_to_last_s"] = round(span, 3) if span else None
        info["posts_per_s"] = round((made["count"] - 1) / span, 1) if span else None
        info["jobs_waiting"] = DBTaskResult.objects.filter(status="READY").count()
    print("BENCH_JSON " + json.dumps(info), flush=True)
    return 0


# --------------------------------------------------------------------------------------------
# Fan-out timing (child process; `townsquare worker` processes run beside it)
# --------------------------------------------------------------------------------------------


def fanout(args: argparse.Namespace) -> int:
    _django()
    from django.db import close_old_connections
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from townsquare.accounts.models import User
    from townsquare.feeds.models import TimelineEntry
    from townsquare.graph.models import Follow
    from townsquare.posts.actions import create_post

    star = User.objects.get(username=STAR_USERNAME)
    followers = Follow.objects.filter(followee=star, follower__is_active=True).count()
    expected = followers + 1  # every follower, and the author's own home feed
    # Jobs queued before (an --api-post run's fan-out) are drained first: more time for them.
    backlog = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
    drain_started = time.monotonic()
    drain_s = None
    if backlog:
        print(f"fan-out: draining {backlog} queued jobs first", file=sys.stderr, flush=True)
    runs = []
    for number in range(args.runs):
        close_old_connections()
        # Start from an empty queue, so each run measures this post alone.
        idle_deadline = time.monotonic() + 60 + (0.1 * backlog if number == 0 else 0)
        while DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
            if time.monotonic() > idle_deadline:
                raise SystemExit("fan-out: the job queue did not drain")
            time.sleep(0.05)
        if number == 0 and backlog:
            drain_s = round(time.monotonic() - drain_started, 2)
            print(f"fan-out: the queue drained in {drain_s} s", file=sys.stderr, flush=True)
        time.sleep(0.5)
        wall_start = timezone.now()
        start = time.perf_counter()
        post = create_post(star, text=f"Bench announcement number {number + 1}: fan-out timing.")
        created = time.perf_counter() - start
        deadline = start + args.timeout
        count = 0
        while True:
            count = TimelineEntry.objects.filter(post_id=post.pk).count()
            if count >= expected or time.perf_counter() > deadline:
                break
            if DBTaskResult.objects.filter(enqueued_at__gte=wall_start, status="FAILED").exists():
                print("fan-out: a fan-out job failed", file=sys.stderr)
                break
            time.sleep(0.002)
        elapsed = time.perf_counter() - start
        complete = count >= expected
        # The rows are in; the jobs mark themselves finished a moment later.
        settle = time.monotonic() + 10
        while (
            DBTaskResult.objects.filter(enqueued_at__gte=wall_start, finished_at__isnull=True)
            .exclude(status="FAILED")
            .exists()
            and time.monotonic() < settle
        ):
            time.sleep(0.02)
        # Breakdown from the job rows (wall clock times, same machine).
        jobs = list(
            DBTaskResult.objects.filter(enqueued_at__gte=wall_start).values(
                "task_path", "enqueued_at", "started_at", "finished_at", "status"
            )
        )

        def ms(value: Any, origin: Any = wall_start) -> float | None:
            return round((value - origin).total_seconds() * 1000, 1) if value else None

        heads = [j for j in jobs if j["task_path"].endswith("fan_out_post")]
        batches = [j for j in jobs if j["task_path"].endswith("fan_out_batch")]
        batch_runs = [
            (j["finished_at"] - j["started_at"]).total_seconds() * 1000
            for j in batches
            if j["finished_at"] and j["started_at"]
        ]
        breakdown = {
            "create_post_ms": round(created * 1000, 1),
            "fan_out_post_started_ms": ms(heads[0]["started_at"]) if heads else None,
            "fan_out_post_finished_ms": ms(heads[0]["finished_at"]) if heads else None,
            "batches": len(batches),
            "first_batch_started_ms": min(
                (ms(j["started_at"]) or 1e9 for j in batches), default=None
            ),
            "last_batch_finished_ms": max(
                (ms(j["finished_at"]) or 0 for j in batches), default=None
            ),
            "batch_run_ms_mean": round(statistics.mean(batch_runs), 1) if batch_runs else None,
        }
        runs.append(
            {
                "post_id": post.pk,
                "seconds": round(elapsed, 4),
                "complete": complete,
                "rows": count,
                "expected_rows": expected,
                **breakdown,
            }
        )
        print(f"fan-out run {number + 1}: {elapsed:.3f} s {breakdown}", file=sys.stderr, flush=True)
    times = [run["seconds"] for run in runs]
    from django.conf import settings

    result = {
        "followers": followers,
        "batch_size": settings.TOWNSQUARE["FANOUT_BATCH_SIZE"],
        "worker_poll_interval_s": settings.TOWNSQUARE["WORKER_POLL_INTERVAL"],
        "times_s": times,
        "median_s": round(statistics.median(times), 4),
        "max_s": round(max(times), 4),
        "all_complete": all(run["complete"] for run in runs),
        "runs": runs,
    }
    if backlog:
        result["queue_backlog_jobs"] = backlog
        result["queue_drain_s"] = drain_s
    print("BENCH_JSON " + json.dumps(result, default=str), flush=True)
    return 0


# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="internal")
    parser.add_argument("--small", action="store_true", help="1,000 members / 50,000 posts")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--members", type=int, help="override the number of members")
    parser.add_argument("--posts", type=int, help="override the number of posts")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up load")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per concurrency; the figures are medians"
    )
    parser.add_argument("--workers", type=int, default=2, help="web worker processes")
    parser.add_argument(
        "--threads", type=int, default=1, help="request threads per web worker (the serve default)"
    )
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (it shares the CPUs)"
    )
    parser.add_argument("--sessions", type=int, default=50, help="signed-in members to rotate")
    parser.add_argument("--job-workers", type=int, default=2, help="`townsquare worker` processes")
    parser.add_argument("--fanout-runs", type=int, default=3, help="posts to time (0: skip)")
    parser.add_argument(
        "--fanout-followers",
        type=int,
        help="followers of the posting member (default: 10,000 or all)",
    )
    parser.add_argument("--port", type=int, help="server port (default: a free one)")
    parser.add_argument("--redis", action="store_true", help=f"use Redis at {REDIS_URL}")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--reuse", action="store_true", help="reuse a data set seeded before")
    parser.add_argument(
        "--pg-suffix", default="", help="PostgreSQL database name suffix (keep several sets)"
    )
    parser.add_argument("--seed", type=int, default=20261129, help="random seed")
    parser.add_argument("--seed-timeout", type=int, default=3600, help="seconds allowed to seed")
    parser.add_argument("--sqlite-analyze", action="store_true", help="run ANALYZE after seeding")
    parser.add_argument(
        "--django-settings",
        help="experiment: serve with this settings module (e.g. bench.experiments.persistent_db)",
    )
    parser.add_argument("--label", help="added to the results file name, e.g. an experiment name")
    parser.add_argument(
        "--set",
        action="append",
        metavar="TOWNSQUARE_X=VALUE",
        help="experiment: a setting for the server and job workers (repeatable)",
    )
    parser.add_argument("--skip-home", action="store_true", help="measure only the fan-out")
    parser.add_argument(
        "--api",
        action="store_true",
        help=f"after the web runs, also load the API home timeline ({API_HOME_PATH}) with "
        "the session members' bearer tokens (made when the data set has none)",
    )
    parser.add_argument(
        "--api-post",
        type=int,
        default=0,
        metavar="SECONDS",
        help=f"with --api, after the API timeline runs: POST {API_POST_PATH} for SECONDS s at "
        f"c={API_POST_CONCURRENCY} with the same tokens (0: off); the fan-out jobs wait in the "
        "queue. The site's write limits allow about 3,000 posts a run",
    )
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=15.0,
        help="before each measured run, wait until other work uses less than this %% of the CPUs",
    )
    parser.add_argument("--quiet-wait", type=float, default=120.0, help="longest such wait (s)")

    seed_cmd = sub.add_parser("_seed")
    seed_cmd.add_argument("--members", type=int, required=True)
    seed_cmd.add_argument("--posts", type=int, required=True)
    seed_cmd.add_argument("--sessions", type=int, default=50)
    seed_cmd.add_argument("--fanout-followers", type=int, default=10_000)
    seed_cmd.add_argument("--seed", type=int, default=1)
    seed_cmd.add_argument("--sqlite-analyze", action="store_true")
    seed_cmd.add_argument("--api", action="store_true", help="also make tokens.txt")
    fan_cmd = sub.add_parser("_fanout")
    fan_cmd.add_argument("--runs", type=int, default=3)
    fan_cmd.add_argument("--timeout", type=float, default=60.0)
    sub.add_parser("_tokens")
    limits_cmd = sub.add_parser("_post_limits")
    limits_cmd.add_argument("--reset", action="store_true")
    limits_cmd.add_argument("--since", type=float, help="epoch seconds")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    global PG_SUFFIX
    PG_SUFFIX = getattr(args, "pg_suffix", "") or ""
    if args.internal == "_seed":
        return seed(args)
    if args.internal == "_fanout":
        return fanout(args)
    if args.internal == "_tokens":
        return tokens_command(args)
    if args.internal == "_post_limits":
        return post_limits_command(args)
    if args.api_post < 0:
        parser.error("--api-post takes a number of seconds (0: off)")
    if args.api_post and not args.api:
        parser.error("--api-post needs --api (it posts with the API tokens)")
    if args.fanout_followers is None and not args.small and not args.members:
        args.fanout_followers = 10_000
    atexit.register(stop_all_children)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    try:
        return orchestrate(args)
    except KeyboardInterrupt:
        log("interrupted; stopping the server and workers")
        return 130
    finally:
        stop_all_children()


if __name__ == "__main__":
    sys.exit(main())
