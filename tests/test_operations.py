"""Operations: readiness, Prometheus metrics and JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache.backends.base import BaseCache
from django.test import Client
from django.utils import timezone

from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.core import logs, metrics
from townsquare.web.views import operations

pytestmark = pytest.mark.django_db


class BrokenCache(BaseCache):
    """A cache whose server does not answer."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def set(self, *args: Any, **kwargs: Any) -> None:
        raise ConnectionError("Connection refused.")

    def clear(self) -> None:
        pass


def _ready(client: Client | None = None) -> tuple[int, dict[str, Any]]:
    response = (client or Client()).get("/health/ready")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


# -- readiness ---------------------------------------------------------------------------


def test_ready_when_everything_answers() -> None:
    status, body = _ready()
    assert status == 200
    assert body == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "jobs": "ok"}}


def test_ready_never_touches_a_session(fern: Any) -> None:
    client = Client()
    client.force_login(fern)
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and not response.cookies
    assert response["X-Request-Id"]


def test_ready_fails_naming_the_cache(settings: Any) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "tests.test_operations.BrokenCache"},
    }
    status, body = _ready()
    assert status == 503
    assert body["failing"] == ["cache"]
    assert "Connection refused" in body["checks"]["cache"]
    assert body["checks"]["database"] == "ok"


def test_ready_fails_when_a_job_waited_too_long(settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from townsquare.core.jobs import enqueue
    from townsquare.feeds.tasks import fan_out_post

    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "READY_MAX_JOB_AGE": 300}
    enqueue(fan_out_post, 1)
    assert _ready()[0] == 200  # just queued
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=10))
    status, body = _ready()
    assert status == 503
    assert body["failing"] == ["jobs"]
    assert "limit 300 s" in body["checks"]["jobs"]
    # A job scheduled for later is not late.
    DBTaskResult.objects.update(run_after=timezone.now() + timedelta(hours=1))
    assert _ready()[0] == 200
    # 0: the queue is not part of readiness.
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(hours=1))
    assert _ready()[0] == 503
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "READY_MAX_JOB_AGE": 0}
    assert _ready()[0] == 200


def test_ready_fails_naming_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    class Down:
        def cursor(self) -> Any:
            raise OperationalError("connection to server at 127.0.0.1 failed")

        def close(self) -> None:
            pass

    monkeypatch.setattr(operations, "connection", Down())
    status, body = _ready()
    assert status == 503
    assert body["failing"] == ["database"]
    assert body["checks"]["database"].startswith("OperationalError: connection to server")
    assert body["checks"]["jobs"] == "not checked (no database)"


def test_health_stays_liveness() -> None:
    response = Client().get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# -- metrics -----------------------------------------------------------------------------


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the text format, or None when absent."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def _metrics(**extra: str) -> str:
    response = Client().get("/metrics", **extra)  # type: ignore[arg-type]
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def test_metrics_refused_from_elsewhere_without_the_token(settings: Any) -> None:
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    # Through a reverse proxy on this machine: loopback, but forwarded for someone else.
    forwarded = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert forwarded.status_code == 403
    # No token configured: a bearer header opens nothing.
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer anything"
        ).status_code
        == 403
    )
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "METRICS_TOKEN": "s3cret-scrape-token"}
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    right = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    assert right.status_code == 200
    assert b"townsquare_jobs" in right.content


def test_metrics_served_on_loopback_with_request_histograms(fern: Any) -> None:
    client = Client()
    before = _sample(
        _metrics(), "townsquare_http_request_duration_seconds_count", route="public", method="GET"
    )
    for _ in range(3):
        assert client.get("/public").status_code == 200
    client.get("/no/such/page")
    text = _metrics()
    after = _sample(
        text,
        "townsquare_http_request_duration_seconds_count",
        route="public",
        method="GET",
        status="2xx",
    )
    assert after == (before or 0) + 3
    assert (
        _sample(
            text,
            "townsquare_http_request_duration_seconds_bucket",
            route="public",
            le="+Inf",
        )
        == after
    )
    assert _sample(text, "townsquare_http_request_duration_seconds_count", route="unmatched")
    # Never the raw path: a profile's route is its pattern's name.
    Client().get(f"/@{fern.username}")
    assert f"/@{fern.username}" not in _metrics()
    assert 'route="profile"' in _metrics()


def test_metrics_job_queue_and_caches() -> None:
    from django_tasks_db.models import DBTaskResult

    from townsquare.api.serializers import cache
    from townsquare.core.jobs import enqueue
    from townsquare.feeds.tasks import fan_out_post

    enqueue(fan_out_post, 1)
    enqueue(fan_out_post, 2)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(seconds=90))
    text = _metrics()
    assert _sample(text, "townsquare_jobs", state="waiting") == 2
    assert _sample(text, "townsquare_jobs", state="running") == 0
    assert _sample(text, "townsquare_jobs", state="failed") == 0
    assert 89 <= (_sample(text, "townsquare_jobs_oldest_waiting_age_seconds") or 0) < 200

    hits = _sample(text, "townsquare_entity_cache_hits_total", cache="statuses") or 0
    misses = _sample(text, "townsquare_entity_cache_misses_total", cache="statuses") or 0
    cache.statuses.put(42, "stamp", {"id": "42"})
    cache.statuses.get(42, "stamp")
    cache.statuses.get(42, "stamp")
    cache.statuses.get(43, "stamp")
    text = _metrics()
    assert _sample(text, "townsquare_entity_cache_hits_total", cache="statuses") == hits + 2
    assert _sample(text, "townsquare_entity_cache_misses_total", cache="statuses") == misses + 1


def test_metrics_count_admission_refusals_by_class() -> None:
    from townsquare.core import metrics

    before = _sample(_metrics(), "townsquare_admission_refused_total", request_class="member")
    metrics.observe_refusal("member")
    text = _metrics()
    assert (
        _sample(text, "townsquare_admission_refused_total", request_class="member")
        == (before or 0) + 1
    )
    assert (
        _sample(text, "townsquare_admission_refused_total", request_class="anonymous") is not None
    )


def test_metrics_post_card_cache_hit_rate() -> None:
    """The web's cache of rendered post cards counts its hits: a second view of the same feed
    is answered from it, an edit is a miss (the card shows the new text)."""
    from django.test import Client

    from townsquare.posts.actions import edit_post

    author = make_user()
    post = make_post(author, "Tomato seedlings ready for pricking out.")
    client = Client()
    client.force_login(author)

    def counts() -> tuple[float, float]:
        text = _metrics()
        return (
            _sample(text, "townsquare_entity_cache_hits_total", cache="post_html") or 0,
            _sample(text, "townsquare_entity_cache_misses_total", cache="post_html") or 0,
        )

    client.get("/")
    hits, misses = counts()
    assert "pricking out" in client.get("/").content.decode()
    again_hits, again_misses = counts()
    assert again_hits > hits and again_misses == misses
    edit_post(author, post, text="Tomato seedlings ready for potting on.")
    assert "potting on" in client.get("/").content.decode()
    assert counts()[1] > misses


def test_metrics_fan_out_lag() -> None:
    author, reader = make_user(), make_user()
    follow(reader, author)
    run_jobs()
    before = _sample(_metrics(), "townsquare_fanout_lag_seconds_count") or 0
    make_post(author)
    run_jobs()
    text = _metrics()
    assert _sample(text, "townsquare_fanout_lag_seconds_count") == before + 1
    assert _sample(text, "townsquare_fanout_lag_seconds_bucket", le="+Inf") == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_machine_with_only_workers_serves_its_metrics_on_the_workers_port(
    settings: Any,
) -> None:
    """`townsquare worker --metrics-port`: the same exposition (the machine's processes and
    the job queue) under the same rule as the web's /metrics."""
    import urllib.error
    import urllib.request

    from townsquare.core import metrics_server

    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "METRICS_TOKEN": "seed-swap-token"}
    make_post(make_user("fern"), "Bulbs to share")  # a fan-out job waits: the queue shows it
    server = metrics_server.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def get(path: str, token: str = "") -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers)) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    try:
        status, body = get("/metrics")
        assert status == 200
        assert re.search(r'townsquare_jobs\{state="waiting"\} [1-9]', body), body[:2000]
        assert "townsquare_jobs_oldest_waiting_age_seconds" in body
        assert get("/metrics", "seed-swap-token")[0] == 200
        assert get("/metrics", "a wrong token")[0] == 403
        assert get("/")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
    # From another machine only with the token (a scrape from loopback needs none).
    assert not metrics_server._allowed("192.0.2.7", "")
    assert metrics_server._allowed("192.0.2.7", "Bearer seed-swap-token")
    assert metrics_server._allowed("::1", "")


def test_metrics_count_the_files_of_every_process(tmp_path: Any) -> None:
    (tmp_path / "counter_999999999.db").write_bytes(b"")  # a process long gone
    (tmp_path / "histogram_1.db").write_bytes(b"")  # pid 1 runs
    assert metrics.clean_dir(tmp_path) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["histogram_1.db"]


# -- logs --------------------------------------------------------------------------------


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the `townsquare` loggers write with TOWNSQUARE_LOG_FORMAT=json."""
    from django.conf import settings

    from townsquare.core.middleware import RequestIdFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(logs.JobFilter())
    levels = logs.logging_config("json")["loggers"]
    loggers = [logging.getLogger(name) for name in ("townsquare.requests", "townsquare.jobs")]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(levels[logger.name]["level"])
        logger.addHandler(handler)
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "plain"  # text by default
    yield stream
    for logger, level in zip(loggers, saved, strict=True):
        logger.setLevel(level)
        logger.removeHandler(handler)


def _parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_json_request_lines_carry_the_request_id(json_lines: io.StringIO, fern: Any) -> None:
    response = Client().get("/public")
    missing = Client().get("/no/such/page")
    lines = _parsed(json_lines)
    first = next(line for line in lines if line["request_id"] == response["X-Request-Id"])
    assert first["logger"] == "townsquare.requests"
    assert first["level"] == "INFO"
    assert (first["method"], first["route"], first["status"]) == ("GET", "public", 200)
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", first["time"])
    assert first["message"] == "GET public 200"
    second = next(line for line in lines if line["request_id"] == missing["X-Request-Id"])
    assert (second["route"], second["status"]) == ("unmatched", 404)


def test_json_job_lines_name_the_job(json_lines: io.StringIO) -> None:
    author, reader = make_user(), make_user()
    follow(reader, author)
    run_jobs()
    json_lines.truncate(0)
    json_lines.seek(0)
    make_post(author)
    run_jobs()
    lines = [line for line in _parsed(json_lines) if line["logger"] == "townsquare.jobs"]
    jobs = {line["job"].rsplit(".", 1)[-1] for line in lines}
    assert {"fan_out_post", "fan_out_batch"} <= jobs
    for line in lines:
        assert line["job_id"] not in ("", "-")
        assert line["status"] == "SUCCESSFUL"
        assert line["request_id"] == "-"


def test_json_formatter_keeps_exceptions_and_extras() -> None:
    formatter = logs.JsonFormatter()
    try:
        raise ValueError("the soil is frozen")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "townsquare.test",
            logging.ERROR,
            __file__,
            1,
            "planting %s",
            ("garlic",),
            sys.exc_info(),
        )
    record.request_id = "abc123"
    record.bed = 4
    line = json.loads(formatter.format(record))
    assert line["message"] == "planting garlic"
    assert line["request_id"] == "abc123"
    assert line["bed"] == 4
    assert "ValueError: the soil is frozen" in line["exception"]


def test_a_redis_that_hangs_fails_the_cache_read_instead_of_holding_the_request() -> None:
    """The configured Redis cache gives up on a server that accepts the connection and never
    answers (the settings' socket timeouts), so /health/ready and requests report it."""
    import socket
    import threading

    from django.core.cache.backends.redis import RedisCache
    from redis.exceptions import TimeoutError as RedisTimeout

    from townsquare import settings as site_settings

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    port = listener.getsockname()[1]
    options = {**site_settings.REDIS_CACHE_OPTIONS, "socket_timeout": 0.3}  # the same, shorter
    assert set(options) == {"socket_connect_timeout", "socket_timeout"}
    hanging = RedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": options})
    try:
        with pytest.raises(RedisTimeout):
            hanging.get("ready")
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
