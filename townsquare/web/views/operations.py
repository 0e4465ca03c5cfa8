"""Readiness and metrics, for load balancers and Prometheus (operators only, never members).

Both are answered by `core.metrics.RequestMetricsMiddleware` right after the request id is
set, ahead of sessions, CSRF, the cookie login and admission control, so a probe costs a few
statements and never a session. `/health` (liveness: the process answers) stays in
`system.py`.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

READY_CACHE_KEY = "townsquare:ready"
_FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _problem(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        connection.close()  # the next request opens a fresh one
        return _problem(exc)
    return None


def _cache() -> str | None:
    """The default cache (Redis when configured) answers a read."""
    try:
        caches["default"].get(READY_CACHE_KEY)
    except Exception as exc:
        return _problem(exc)
    return None


def _jobs() -> str | None:
    """The job that has waited longest has waited less than READY_MAX_JOB_AGE seconds (one
    statement on the partial index of ready jobs)."""
    from django.db.models import Min
    from django.utils import timezone

    from townsquare.site import stats

    limit = settings.TOWNSQUARE["READY_MAX_JOB_AGE"]
    if not limit or not stats.database_jobs():
        return None
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    try:
        oldest = (
            DBTaskResult.objects.filter(stats.due_jobs(now))
            .order_by()
            .aggregate(oldest=Min(stats.due_since()))["oldest"]
        )
    except Exception as exc:
        return _problem(exc)
    if oldest is not None and now - oldest > timedelta(seconds=limit):
        waited = int((now - oldest).total_seconds())
        return f"the oldest waiting job has waited {waited} s (limit {limit} s)"
    return None


CHECKS: tuple[tuple[str, Callable[[], str | None]], ...] = (
    ("database", _database),
    ("cache", _cache),
    ("jobs", _jobs),
)


def ready(request: HttpRequest) -> JsonResponse:
    """200 when the database, the cache and the job queue are fine; 503 naming what is not."""
    checks: dict[str, str] = {}
    failing: list[str] = []
    for name, check in CHECKS:
        if name == "jobs" and "database" in failing:
            checks[name] = "not checked (no database)"
            continue
        problem = check()
        checks[name] = problem or "ok"
        if problem:
            failing.append(name)
    body: dict[str, object] = {"status": "unavailable" if failing else "ok", "checks": checks}
    if failing:
        body["failing"] = failing
    response = JsonResponse(body, status=503 if failing else 200)
    response["Cache-Control"] = "no-store"
    return response


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def metrics_allowed(request: HttpRequest) -> bool:
    """With the bearer token from anywhere; without it, only from this machine and not
    through a reverse proxy (a proxy on this machine connects from loopback too, so a
    request carrying a forwarding header is treated as coming from outside)."""
    token: str = settings.TOWNSQUARE["METRICS_TOKEN"]
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header[:7].lower() == "bearer ":
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    if any(name in request.META for name in _FORWARDING_HEADERS):
        return False
    return _loopback(request.META.get("REMOTE_ADDR") or "")


def metrics(request: HttpRequest) -> HttpResponse:
    from townsquare.core.metrics import exposition

    if not metrics_allowed(request):
        response = HttpResponse(
            "Metrics are served to this machine, or with the bearer token set in "
            "TOWNSQUARE_METRICS_TOKEN.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    else:
        body, content_type = exposition()
        response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
