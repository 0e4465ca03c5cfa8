"""Streaming delivery latency: a post made through the API, until its `update` event reaches
each of N followers listening to their home stream (server-sent events).

Starts its own `townsquare serve` (fresh data folder, free ports; TOWNSQUARE_DATABASE_URL
and TOWNSQUARE_REDIS_URL are passed on, so it measures PostgreSQL + Redis when they are
set: point the database URL at a throwaway database), makes one author and N followers with
tokens, opens N streams, then posts P times, one post at a time, and reports p50/p90/p99/max
of post-to-event latency over every (post, follower) pair.

    .venv/bin/python bench/streaming_bench.py --clients 100 --posts 20

The path a home `update` takes: the post's transaction commits -> a fan-out job (picked up
by a job thread within TOWNSQUARE_WORKER_POLL_INTERVAL, 0.2 s) writes the followers' feeds
and publishes one event -> the streaming process reads the bus (every 0.15 s embedded, at
once from Redis) -> each connection's queue -> the socket.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]

SEED = """
import json, secrets
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model
from townsquare.accounts import actions as accounts
from townsquare.api.models import AppInfo
from townsquare.graph.models import Follow
Application = get_application_model()
app = Application.objects.create(name="bench", client_type="confidential",
    authorization_grant_type="authorization-code", redirect_uris="urn:ietf:wg:oauth:2.0:oob")
AppInfo.objects.create(application=app, scopes="read write")
def token(user):
    raw = secrets.token_urlsafe(24)
    get_access_token_model().objects.create(user=user, application=app, token=raw,
        scope="read write", expires=timezone.now() + timedelta(days=1))
    return raw
author = accounts.create_user("bench_author", "author@example.org", None, email_confirmed=True)
followers = []
for i in range(N):
    user = accounts.create_user(f"bench_f{i}", f"f{i}@example.org", None, email_confirmed=True)
    followers.append(user)
Follow.objects.bulk_create([Follow(follower=user, followee=author) for user in followers])
print(json.dumps({"author": token(author), "followers": [token(u) for u in followers]}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def listen(
    client: httpx.AsyncClient,
    url: str,
    token: str,
    ready: asyncio.Event,
    opened: list[int],
    wanted: int,
    arrivals: dict[str, list[float]],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, response.status_code
        event = ""
        async for line in response.aiter_lines():
            if line == ":)":
                opened[0] += 1
                if opened[0] >= wanted:
                    ready.set()
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "update":
                status_id = json.loads(line[5:])["id"]
                arrivals.setdefault(status_id, []).append(time.perf_counter())


async def measure(web: str, streaming: str, tokens: dict[str, Any], posts: int) -> None:
    followers: list[str] = tokens["followers"]
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    arrivals: dict[str, list[float]] = {}
    sent: dict[str, float] = {}
    post_times: list[float] = []
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        ready = asyncio.Event()
        opened = [0]
        url = f"{streaming}/api/v1/streaming/user"
        tasks = [
            asyncio.create_task(listen(client, url, token, ready, opened, len(followers), arrivals))
            for token in followers
        ]
        await asyncio.wait_for(ready.wait(), 60)
        print(f"{len(followers)} streams open", flush=True)
        headers = {"Authorization": f"Bearer {tokens['author']}"}
        for n in range(posts):
            started = time.perf_counter()
            response = await client.post(
                f"{web}/api/v1/statuses",
                json={"status": f"Allotment news, part {n}"},
                headers=headers,
            )
            post_times.append(time.perf_counter() - started)
            status_id = response.json()["id"]
            sent[status_id] = started
            deadline = time.perf_counter() + 10
            while len(arrivals.get(status_id, [])) < len(followers):
                if time.perf_counter() > deadline:
                    print(f"post {n}: only {len(arrivals.get(status_id, []))} arrivals")
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [
        (arrival - sent[sid]) * 1000 for sid, times in arrivals.items() if sid in sent
        for arrival in times
    ]  # fmt: skip
    expected = posts * len(followers)
    print(f"deliveries: {len(latencies)} of {expected}")
    if latencies:
        print(
            "post -> update latency (ms): "
            f"p50 {percentile(latencies, 0.5):.0f}  p90 {percentile(latencies, 0.9):.0f}  "
            f"p99 {percentile(latencies, 0.99):.0f}  max {max(latencies):.0f}  "
            f"mean {statistics.mean(latencies):.0f}"
        )
    print(f"POST /api/v1/statuses (ms): p50 {percentile(post_times, 0.5) * 1000:.0f}")


@contextlib.contextmanager
def served(prefix: str, workers: int, seed: str) -> Iterator[tuple[str, str, Any, int] | None]:
    """A fresh `townsquare serve` (its own data folder and free ports), seeded by running
    `seed` in its environment (the snippet prints one JSON line). Yields (web URL, streaming
    URL, the seed's JSON, the server's process group), or None when it did not start; stops
    the server afterwards."""
    townsquare = Path(sys.executable).with_name("townsquare")
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    port, streaming_port = free_port(), free_port()
    web, streaming = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{streaming_port}"
    env = {**os.environ, "TOWNSQUARE_DATA_DIR": str(data_dir), "TOWNSQUARE_BASE_URL": web}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    print(f"data dir {data_dir}; redis: {'yes' if env.get('TOWNSQUARE_REDIS_URL') else 'no'}")
    server = subprocess.Popen(
        [str(townsquare), "serve", "--port", str(port), "--streaming-port", str(streaming_port),
         "--workers", str(workers)],
        env=env, cwd=data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (healthy(web + "/health") and healthy(streaming + "/api/v1/streaming/health")):
            if server.poll() is not None or time.monotonic() > deadline:
                print("the server did not start")
                yield None
                return
            time.sleep(0.3)
        seeded = subprocess.run(
            [sys.executable, "-c", seed],
            env={**env, "DJANGO_SETTINGS_MODULE": "townsquare.settings"},
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if seeded.returncode != 0:
            print(seeded.stderr[-3000:])
            yield None
            return
        yield web, streaming, json.loads(seeded.stdout.strip().splitlines()[-1]), server.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.send_signal(signal.SIGINT)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    seed = SEED.replace("range(N)", f"range({args.clients})")
    with served("townsquare-streaming-bench-", args.workers, seed) as running:
        if running is None:
            return 1
        web, streaming, tokens, _ = running
        asyncio.run(measure(web, streaming, tokens, args.posts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
