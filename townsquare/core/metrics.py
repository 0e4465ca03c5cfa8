"""Prometheus metrics, shared by every process of a site on one machine.

`townsquare serve` runs several web processes (and a job worker beside them), `townsquare
worker` more: each process counts into its own memory-mapped files in one folder
(prometheus-client's multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`, by default
`<data dir>/metrics`), and `/metrics` adds them all up when it is read. So a scrape sees the
whole machine whichever web process answers it, and counts survive a web process being
replaced. Files of processes that no longer run are deleted when `townsquare serve` starts
(`clean_dir`); a counter then starts again from zero, which Prometheus's `rate()` expects.

What is counted as it happens (cheap: a few microseconds a request):
- request durations, by route *name* (never the raw path), method and status class;
- fan-out lag: from a post's creation (its id is its time) to each fan-out job that wrote it
  into home feeds finishing (one observation per batch of followers or group members, so the
  slowest batch is the histogram's tail);
- hits and misses of the API's entity caches and of the web's post-card cache (copied from
  the caches' own counters at most once a second, not at each lookup).

- requests refused by admission control (503 under overload), by class.

What is read when `/metrics` is read (one statement): the job queue's depth by state and the
age of the oldest waiting job.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve


def _prepare_dir() -> Path:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(Path(settings.DATA_DIR) / "metrics")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


METRICS_DIR = _prepare_dir()

# Imported once the folder is known: prometheus-client chooses its multiprocess values then.
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402

# Should anything have imported prometheus-client before the folder was set, count into the
# files all the same.
values.ValueClass = values.get_value_class()

REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FANOUT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)

REQUESTS = Histogram(
    "townsquare_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response is returned to the server).",
    ["route", "method", "status"],
    buckets=REQUEST_BUCKETS,
    registry=None,
)
FANOUT_LAG = Histogram(
    "townsquare_fanout_lag_seconds",
    "From a post's creation to a fan-out job writing it into a batch of home feeds finishing.",
    buckets=FANOUT_BUCKETS,
    registry=None,
)
CACHE_HITS = Counter(
    "townsquare_entity_cache_hits",
    "Lookups answered by a per-process cache of rendered posts and accounts.",
    ["cache"],
    registry=None,
)
CACHE_MISSES = Counter(
    "townsquare_entity_cache_misses",
    "Lookups a per-process cache of rendered posts and accounts could not answer.",
    ["cache"],
    registry=None,
)

ADMISSION_REFUSED = Counter(
    "townsquare_admission_refused",
    "Requests a web process refused with 503 under overload (core.admission), by class.",
    ["request_class"],
    registry=None,
)
for _name in ("write", "member", "anonymous"):  # core.admission.CLASSES
    ADMISSION_REFUSED.labels(_name)

CACHES = ("statuses", "accounts", "post_html")  # the API's entities, the web's post cards
for _name in CACHES:  # present from the start, at zero
    CACHE_HITS.labels(_name)
    CACHE_MISSES.labels(_name)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATUS_CLASSES = ("1xx", "1xx", "2xx", "3xx", "4xx", "5xx")
UNMATCHED = "unmatched"  # no URL pattern: a 404, or answered by a middleware before routing
# Answered as soon as the request id is set: no session, no CSRF, no admission control.
OPERATIONS_PATHS = frozenset({"/health", "/health/ready", "/metrics"})


def _pid_of(name: str) -> int | None:
    stem = name.removesuffix(".db")
    try:
        return int(stem.rsplit("_", 1)[1])
    except (IndexError, ValueError):
        return None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_dir(path: Path | None = None) -> int:
    """Delete the counting files of processes that no longer run (a worker of another
    `townsquare` command on this machine keeps its own). Returns how many were deleted."""
    removed = 0
    for file in (path or METRICS_DIR).glob("*.db"):
        pid = _pid_of(file.name)
        if pid is not None and pid != os.getpid() and not _running(pid):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
                removed += 1
    return removed


def observe_refusal(request_class: str) -> None:
    """Admission control refused a request of this class (core.admission)."""
    with contextlib.suppress(Exception):  # counting never breaks the answer
        ADMISSION_REFUSED.labels(request_class).inc()


# -- the entity caches -------------------------------------------------------------------

_FLUSH_EVERY = 1.0
_flushed = {"at": 0.0}
_seen: dict[str, tuple[int, int]] = {}


def flush_cache_counts(now: float | None = None) -> None:
    """Add what the entity caches counted since the last call to the shared counters."""
    from townsquare.api.serializers import cache
    from townsquare.web import render

    _flushed["at"] = time.monotonic() if now is None else now
    counted: tuple[tuple[str, Any], ...] = (
        ("statuses", cache.statuses),
        ("accounts", cache.accounts),
        ("post_html", render.counts),
    )
    for name, entity_cache in counted:
        hits, misses = entity_cache.hits, entity_cache.misses
        last_hits, last_misses = _seen.get(name, (0, 0))
        if hits < last_hits or misses < last_misses:  # the cache was cleared
            last_hits = last_misses = 0
        if hits > last_hits:
            CACHE_HITS.labels(name).inc(hits - last_hits)
        if misses > last_misses:
            CACHE_MISSES.labels(name).inc(misses - last_misses)
        _seen[name] = (hits, misses)


# -- requests ----------------------------------------------------------------------------

# The histogram's child of each (route, method, status class), looked up once: labels()
# takes a lock and checks its arguments (3 us a request, measured).
_children: dict[tuple[str, str, str], Any] = {}


class RequestMetricsMiddleware:
    """Times every request into the latency histogram and, when the `townsquare.requests`
    logger is on (JSON logs), writes one line per request. Answers the operations paths
    itself, ahead of the rest of the chain. Place it right after RequestIdMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        import logging

        self.get_response = get_response
        self.log = logging.getLogger("townsquare.requests")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        if request.path_info in OPERATIONS_PATHS:
            response = _operations(request)
        else:
            response = self.get_response(request)
        elapsed = time.perf_counter() - start
        match = request.resolver_match
        route = (match.url_name or match.route or UNMATCHED) if match is not None else UNMATCHED
        method = request.method if request.method in METHODS else "other"
        status = response.status_code
        key = (route, method, STATUS_CLASSES[min(status // 100, 5)])
        child = _children.get(key)
        if child is None:
            child = _children[key] = REQUESTS.labels(*key)
        child.observe(elapsed)
        if self.log.isEnabledFor(20):  # INFO
            # A record made directly: Logger.info() would look for its caller's frame first.
            record = self.log.makeRecord(
                self.log.name,
                20,
                __file__,
                0,
                "%s %s %d",
                (method, route, status),
                None,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                },
            )
            self.log.handle(record)
        if start - _flushed["at"] >= _FLUSH_EVERY:
            flush_cache_counts(start)
        return response


def _operations(request: HttpRequest) -> HttpResponse:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return HttpResponse(status=404)
    request.resolver_match = match
    response: HttpResponse = match.func(request, *match.args, **match.kwargs)
    return response


# -- the job queue, read at each scrape ----------------------------------------------------


class JobsCollector:
    """The job queue's depth by state and the age of its oldest waiting job."""

    def collect(self) -> Iterator[Any]:
        from django.db.models import Count, Min, Q
        from django.utils import timezone

        from townsquare.site import stats

        if not stats.database_jobs():
            return
        from django_tasks_db.models import DBTaskResult

        now = timezone.now()
        due = stats.due_jobs(now)
        since = now - timedelta(days=stats.FAILED_JOBS_DAYS)
        counts = DBTaskResult.objects.order_by().aggregate(
            waiting=Count("pk", filter=due),
            scheduled=Count("pk", filter=Q(status="READY") & ~due),
            running=Count("pk", filter=Q(status="RUNNING")),
            failed=Count("pk", filter=Q(status="FAILED", finished_at__gte=since)),
            oldest_waiting=Min(stats.due_since(), filter=due),
        )
        depth = GaugeMetricFamily(
            "townsquare_jobs",
            "Jobs by state: waiting (due now), scheduled (for later), running, and failed in "
            f"the last {stats.FAILED_JOBS_DAYS} days.",
            labels=["state"],
        )
        for state in ("waiting", "scheduled", "running", "failed"):
            depth.add_metric([state], counts[state] or 0)
        yield depth
        oldest = counts["oldest_waiting"]
        age = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
        yield GaugeMetricFamily(
            "townsquare_jobs_oldest_waiting_age_seconds",
            "How long the job that has waited longest has been due (0: none waiting).",
            value=age,
        )


def exposition() -> tuple[bytes, str]:
    """The metrics of every process on this machine and the job queue, in the text format."""
    flush_cache_counts()
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(METRICS_DIR))
    registry.register(JobsCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def observe_fanout(post_id: int) -> None:
    """A fan-out job finished writing a post into home feeds: how long after the post was made."""
    from townsquare.core.ids import time_of_id

    FANOUT_LAG.observe(max(0.0, time.time() - time_of_id(post_id)))
