"""Direct-message delivery: a message sent from the conversation page (a form POST), until
the recipient's open page hears of it on its live connection (`/live/events`, server-sent
events), with N pages open at once; and the server's memory per open page.

Starts its own `townsquare serve` (fresh data folder, free ports; TOWNSQUARE_DATABASE_URL and
TOWNSQUARE_REDIS_URL are passed on, so it measures PostgreSQL + Redis when they are set: point
the database URL at a throwaway database). Makes one sender and N recipients, a one-to-one
conversation with each, signed-in sessions for all; opens the N recipients' live
connections; then sends M messages one at a time, the k-th to recipient k mod N, and reports
p50/p90/p99/max of send-to-receipt latency.

    .venv/bin/python bench/message_bench.py --pages 100 --messages 200
    .venv/bin/python bench/message_bench.py --pages 1000 --messages 300

The path a message takes: the send's transaction commits -> one `live` event on the bus
(no job: it is published as the transaction commits) -> the streaming process reads the bus
(every 0.15 s embedded, at once from Redis) -> the recipient's connection -> the socket.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from streaming_bench import percentile, served  # noqa: E402

SEED = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from townsquare.accounts import actions as accounts
from townsquare.accounts.models import MessagePolicy, User
from townsquare.core import ratelimit
from townsquare.messaging import actions as messaging
def session(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
sender = accounts.create_user("bench_sender", "sender@example.org", None, email_confirmed=True)
out = {"sender": session(sender), "pages": []}
for i in range(N):
    user = accounts.create_user(f"bench_r{i}", f"r{i}@example.org", None, email_confirmed=True)
    User.objects.filter(pk=user.pk).update(message_policy=MessagePolicy.EVERYONE)
    user.refresh_from_db()
    for limit in (ratelimit.CONVERSATIONS_PER_ACCOUNT, ratelimit.MESSAGES_PER_ACCOUNT):
        limit.reset(str(sender.pk))  # the seeding sender starts more than a member may
    first = messaging.start_conversation(sender, [user], "Hello from the allotment")
    out["pages"].append({"session": session(user), "conversation": str(first.conversation_id)})
print(json.dumps(out))
"""


def group_rss_kb(pgid: int) -> int:
    """The resident memory of every process in the server's process group, in KiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError, ValueError):
            continue
    return total


async def listen(
    client: httpx.AsyncClient,
    url: str,
    page: dict[str, str],
    origin: str,
    ready: asyncio.Event,
    opened: list[int],
    wanted: int,
    arrivals: dict[str, float],
) -> None:
    headers = {"Cookie": f"sessionid={page['session']}", "Origin": origin}
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
            elif line.startswith("data:") and event == "live":
                data = json.loads(line[5:])
                if data.get("kind") == "message":
                    arrivals.setdefault(data["conversation"], time.perf_counter())


async def measure(
    web: str, streaming: str, seeded: dict[str, Any], messages: int, pgid: int
) -> dict[str, Any]:
    pages: list[dict[str, str]] = seeded["pages"]
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    latencies: list[float] = []
    send_times: list[float] = []
    missed = 0
    async with (
        httpx.AsyncClient(timeout=30, limits=limits) as listeners,
        httpx.AsyncClient(
            base_url=web, timeout=30, cookies={"sessionid": seeded["sender"]}
        ) as sender,
    ):
        rss_before = group_rss_kb(pgid)
        ready, opened = asyncio.Event(), [0]
        arrivals: dict[str, float] = {}
        url = f"{streaming}/live/events"
        tasks = [
            asyncio.create_task(
                listen(listeners, url, page, web, ready, opened, len(pages), arrivals)
            )
            for page in pages
        ]
        await asyncio.wait_for(ready.wait(), 120)
        await asyncio.sleep(1.0)
        rss_after = group_rss_kb(pgid)
        print(f"{len(pages)} pages open; server memory +{rss_after - rss_before} KiB", flush=True)
        await sender.get("/messages/new")
        token = sender.cookies.get("csrftoken") or ""
        for n in range(messages):
            conversation = pages[n % len(pages)]["conversation"]
            arrivals.pop(conversation, None)
            # A random pause, so sends do not fall into step with the embedded bus's reads.
            await asyncio.sleep(random.uniform(0.0, 0.3))
            started = time.perf_counter()
            response = await sender.post(
                f"/messages/{conversation}/send",
                data={"text": f"Seedlings for you, batch {n}", "csrfmiddlewaretoken": token},
                headers={"X-CSRFToken": token},
            )
            send_times.append(time.perf_counter() - started)
            assert response.status_code == 302, (response.status_code, response.text[:300])
            deadline = time.perf_counter() + 10
            while conversation not in arrivals:
                if time.perf_counter() > deadline:
                    missed += 1
                    break
                await asyncio.sleep(0.002)
            else:
                latencies.append((arrivals[conversation] - started) * 1000)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    result = {
        "pages": len(pages),
        "messages": messages,
        "delivered": len(latencies),
        "missed": missed,
        "p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
        "p90_ms": round(percentile(latencies, 0.9), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "mean_ms": round(statistics.mean(latencies), 1) if latencies else None,
        "send_p50_ms": round(percentile(send_times, 0.5) * 1000, 1),
        "memory_kib_per_page": round((rss_after - rss_before) / max(1, len(pages)), 1),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    seed = SEED.replace("range(N)", f"range({args.pages})")
    with served("townsquare-message-bench-", args.workers, seed) as running:
        if running is None:
            return 1
        web, streaming, state, pgid = running
        asyncio.run(measure(web, streaming, state, args.messages, pgid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
