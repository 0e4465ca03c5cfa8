#!/usr/bin/env python3
"""What timing a request costs: `core.metrics.RequestMetricsMiddleware` around a view that
does nothing, against the bare view, in one process (no server, no database).

    .venv/bin/python bench/metrics_overhead.py [--calls 20000] [--rounds 7]

Rounds alternate (bare, timed, timed with a JSON request line) and the best round of each
is kept, so other work on the machine inflates none of them more than the others. Prints
microseconds per request: the bare call, and what the middleware adds with text logs (no
request line: the default) and with JSON logs (one line per request, written to memory).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    for key in [k for k in os.environ if k.startswith("TOWNSQUARE_")]:
        del os.environ[key]
    os.environ["TOWNSQUARE_DATA_DIR"] = tempfile.mkdtemp(prefix="metrics-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "townsquare.settings"
    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from townsquare.core.logs import JsonFormatter
    from townsquare.core.metrics import RequestMetricsMiddleware

    request = RequestFactory().get("/")
    response = HttpResponse(b"ok")

    request.resolver_match = resolve("/")  # as Django's handler sets it

    def view(req: object) -> HttpResponse:
        return response

    timed = RequestMetricsMiddleware(view)
    log = logging.getLogger("townsquare.requests")
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonFormatter())

    def run(call: object) -> float:
        start = time.perf_counter()
        for _ in range(args.calls):
            call(request)  # type: ignore[operator]
        return (time.perf_counter() - start) / args.calls * 1e6

    best = {"bare": float("inf"), "text": float("inf"), "json": float("inf")}
    for _ in range(args.rounds):
        best["bare"] = min(best["bare"], run(view))
        log.setLevel(logging.WARNING)
        best["text"] = min(best["text"], run(timed))
        log.setLevel(logging.INFO)
        log.addHandler(handler)
        log.propagate = False
        best["json"] = min(best["json"], run(timed))
        log.removeHandler(handler)
        log.propagate = True
    print(f"bare view call:                 {best['bare']:.2f} us")
    print(f"+ timing, text logs (default):  {best['text'] - best['bare']:.2f} us")
    print(f"+ timing, JSON request lines:   {best['json'] - best['bare']:.2f} us")


if __name__ == "__main__":
    main()
