#!/usr/bin/env python3
"""What a page leaves for the garbage collector: the objects in reference cycles (and what
they hold) per request, and the cycles themselves, by type. Only a collection frees them, and
a collection's pause grows with how many there are (bench/README.md, "Garbage collection
pauses").

    .venv/bin/python bench/gc_census.py [--small] [--requests 50] [PATH ...]

Calls the WSGI application in-process (no server) with the bench members' session cookies,
against the data set bench/feed_bench.py left (bench/data/sqlite-small with --small); writes
nothing but what a page view writes. Default paths: the home feed and one member's profile."""

from __future__ import annotations

import argparse
import collections
import gc
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import feed_bench  # noqa: E402
import profile_home  # noqa: E402


def cycles(objects: list[Any]) -> list[list[Any]]:
    """The strongly connected components (more than one object, or one that refers to
    itself) of the graph of `objects` and their references to each other (Tarjan's,
    iterative)."""
    by_id = {id(o): o for o in objects}
    edges = {
        key: [id(r) for r in gc.get_referents(o) if id(r) in by_id] for key, o in by_id.items()
    }
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    found: list[list[Any]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            for position in range(child, len(edges[node])):
                other = edges[node][position]
                if other not in index:
                    work += [(node, position + 1), (other, 0)]
                    break
                if other in on_stack:
                    low[node] = min(low[node], index[other])
            else:
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.append(member)
                        if member == node:
                            break
                    if len(part) > 1 or node in edges[node]:
                        found.append([by_id[key] for key in part])
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return found


def name(obj: Any) -> str:
    kind = type(obj)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    data_dir = profile_home.configure(
        argparse.Namespace(
            database="sqlite", small=args.small, data_dir=None, redis=False, django_settings=None
        )
    )
    from townsquare.accounts.models import User
    from townsquare.wsgi import application

    cookies = [line for line in (data_dir / "sessions.txt").read_text().splitlines() if line]
    profile = User.objects.order_by("id").values_list("username", flat=True)[2]
    paths = args.paths or ["/", f"/@{profile}"]
    statuses: list[str] = []

    def request(path: str, cookie: str) -> None:
        environ = feed_bench.wsgi_environ(path, cookie)
        body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(body)
        getattr(body, "close", lambda: None)()

    for number in range(20):  # warm the caches first
        for path in paths:
            request(path, cookies[number % len(cookies)])
    for path in paths:
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)  # keep what a collection would free, to look at
        request(path, cookies[0])
        gc.collect()
        one = list(gc.garbage)
        gc.garbage.clear()
        for number in range(args.requests):
            request(path, cookies[number % len(cookies)])
        gc.collect()
        per_request = len(gc.garbage) / args.requests
        kinds = collections.Counter(name(o) for o in gc.garbage)
        gc.garbage.clear()
        gc.set_debug(0)
        print(f"{path} ({statuses[-1]}): {per_request:.0f} objects freed only by a collection")
        print(
            "  most common: "
            + ", ".join(f"{k} {v / args.requests:.0f}" for k, v in kinds.most_common(8))
        )
        for part in sorted(cycles(one), key=len, reverse=True):
            members = collections.Counter(name(o) for o in part)
            print(
                f"  a cycle of {len(part)}: "
                + ", ".join(f"{k} {v}" for k, v in members.most_common(6))
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
