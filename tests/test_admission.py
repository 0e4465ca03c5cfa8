"""Admission control (townsquare.core.admission): with the capacity forced small, requests
beyond it are refused with 503 + Retry-After while the running ones are still running;
anonymous page views go first, signed-in members' reads and writes keep their reserve and
their priority, health checks bypass, and everything is admitted again once load drops.

Threads call the gate around a stand-in application that blocks until the test lets it go,
so the assertions are on status codes and order, never on timings."""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from townsquare.core import admission
from townsquare.core.admission import Gate, Limits

MEMBER = {"HTTP_COOKIE": "csrftoken=abc; sessionid=xyz"}
BEARER = {"HTTP_AUTHORIZATION": "Bearer token"}


class App:
    """A WSGI app whose requests block until released (each by its PATH_INFO)."""

    def __init__(self) -> None:
        self.gates: dict[str, threading.Event] = {}
        self.started: list[str] = []
        self.lock = threading.Lock()

    def hold(self, path: str) -> None:
        self.gates[path] = threading.Event()

    def release(self, path: str) -> None:
        self.gates[path].set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ["PATH_INFO"]
        with self.lock:
            self.started.append(path)
        event = self.gates.get(path)
        if event is not None:
            assert event.wait(10), f"{path} was never released"
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


class Call(threading.Thread):
    def __init__(self, gate: Gate, path: str, method: str = "GET", **extra: str) -> None:
        super().__init__(daemon=True)
        self.gate = gate
        self.environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": method, **extra}
        self.status = ""
        self.headers: dict[str, str] = {}
        self.body = b""
        self.start()

    def run(self) -> None:
        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            self.status = status
            self.headers = dict(headers)

        self.body = b"".join(self.gate(self.environ, start_response))

    def code(self) -> int:
        self.join(10)
        assert not self.is_alive(), f"{self.environ['PATH_INFO']} did not finish"
        return int(self.status.split()[0])


def wait_until(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app() -> App:
    return App()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_gate(app: App, clock: Clock, **limits: Any) -> Gate:
    values = {"concurrency": 1, "queue": 3, "anonymous_queue": 1, "target": 60.0, "max_wait": 10}
    return Gate(app, Limits(**{**values, **limits}), clock=clock)


def waiting(gate: Gate) -> int:
    return sum(gate.stats()["waiting"].values())


@pytest.fixture
def busy(app: App, clock: Clock) -> Iterator[tuple[Gate, Call]]:
    """A gate whose one slot is taken by a signed-in member's request that blocks."""
    gate = make_gate(app, clock)
    app.hold("/slow")
    running = Call(gate, "/slow", **MEMBER)
    wait_until(lambda: app.started == ["/slow"])
    yield gate, running
    for event in app.gates.values():
        event.set()


def test_over_capacity_anonymous_refused_quickly_with_retry_after(
    app: App, busy: tuple[Gate, Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    from townsquare.core import metrics

    counted: list[str] = []
    monkeypatch.setattr(metrics, "observe_refusal", counted.append)
    gate, running = busy
    first = Call(gate, "/@someone")  # waits: the anonymous queue holds one
    wait_until(lambda: waiting(gate) == 1)
    refused = Call(gate, "/@someone/2")
    assert refused.code() == 503  # answered while /slow still runs
    assert running.is_alive()
    assert refused.headers["Retry-After"] == "2"
    assert refused.headers["Content-Type"].startswith("text/html")
    assert b"busy" in refused.body and len(refused.body) < 400
    assert counted == ["anonymous"]  # /metrics counts refusals by class
    app.release("/slow")
    assert running.code() == 200
    assert first.code() == 200  # the one that waited got its turn
    assert "/@someone/2" not in app.started


def test_a_refusal_speaks_the_visitors_language_and_stays_small(
    app: App, busy: tuple[Gate, Call]
) -> None:
    from django.conf import settings

    gate, running = busy
    Call(gate, "/@someone")  # the anonymous queue's one place
    wait_until(lambda: waiting(gate) == 1)
    arabic = Call(gate, "/@someone/2", HTTP_ACCEPT_LANGUAGE="ar-EG,ar;q=0.9,en;q=0.5")
    assert arabic.code() == 503
    page = arabic.body.decode()
    assert '<html lang="ar" dir="rtl">' in page and "الموقع مشغول جدًا" in page
    assert len(arabic.body) < 500
    # The visitor's own choice (the language cookie) comes before the browser's, and the API
    # answers JSON in it; a language the site does not speak falls back to English.
    french = Call(
        gate,
        "/api/v1/timelines/public",
        HTTP_COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=fr",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert french.code() == 503 and french.headers["Content-Type"] == "application/json"
    assert json.loads(french.body) == {
        "error": "Le site est très chargé ; réessayez dans un instant."
    }
    unknown = Call(gate, "/@someone/3", HTTP_ACCEPT_LANGUAGE="tlh, x-klingon;q=0.5")
    assert unknown.code() == 503 and b'<html lang="en" dir="ltr">' in unknown.body
    app.release("/slow")
    assert running.code() == 200


def test_members_reserve_and_priority_over_anonymous(app: App, busy: tuple[Gate, Call]) -> None:
    gate, running = busy
    anonymous = Call(gate, "/anonymous")
    wait_until(lambda: waiting(gate) == 1)
    member = Call(gate, "/member", **MEMBER)  # the anonymous queue is full; members still wait
    wait_until(lambda: waiting(gate) == 2)
    write = Call(gate, "/write", "POST", **BEARER)
    wait_until(lambda: waiting(gate) == 3)
    assert Call(gate, "/another-anonymous").code() == 503
    assert Call(gate, "/member-over-the-hard-limit", **MEMBER).code() == 503
    app.release("/slow")
    assert [running.code(), write.code(), member.code(), anonymous.code()] == [200] * 4
    # the signed-in member's write first, then the member's read, then the page view
    assert app.started == ["/slow", "/write", "/member", "/anonymous"]
    assert gate.stats()["refused"] == {"write": 0, "member": 1, "anonymous": 1}


def test_anonymous_writes_wait_with_members(app: App, busy: tuple[Gate, Call]) -> None:
    gate, running = busy
    Call(gate, "/anonymous")
    wait_until(lambda: waiting(gate) == 1)
    login = Call(gate, "/login", "POST")
    wait_until(lambda: waiting(gate) == 2)
    app.release("/slow")
    assert login.code() == 200
    wait_until(lambda: "/anonymous" in app.started)  # its turn comes once /login is done
    assert app.started.index("/login") < app.started.index("/anonymous")


def test_standing_queue_refuses_anonymous_first(
    app: App, clock: Clock, busy: tuple[Gate, Call]
) -> None:
    gate, running = busy
    gate.limits.target = 0.05
    gate.limits.anonymous_queue = 5
    gate.limits.queue = 5
    member = Call(gate, "/member", **MEMBER)
    wait_until(lambda: waiting(gate) == 1)
    anonymous = Call(gate, "/fresh-queue")  # the queue is young: admitted to wait
    wait_until(lambda: waiting(gate) == 2)
    clock.now += 0.2  # the oldest waiter has now waited longer than the target...
    starts = Call(gate, "/standing-starts")  # ...but not for a whole interval yet: it waits
    wait_until(lambda: waiting(gate) == 3)
    clock.now += 0.15  # standing for longer than the interval (0.1 s)
    assert Call(gate, "/standing-queue").code() == 503
    second_member = Call(gate, "/member-2", **MEMBER)
    wait_until(lambda: waiting(gate) == 4)
    app.release("/slow")
    codes = [member.code(), second_member.code(), anonymous.code(), starts.code()]
    assert codes == [200, 200, 200, 200]


def test_waiting_too_long_is_refused(app: App, busy: tuple[Gate, Call]) -> None:
    gate, running = busy
    gate.limits.max_wait = 0.05
    late = Call(gate, "/api/v1/timelines/home", **BEARER)
    assert late.code() == 503
    assert running.is_alive()
    assert late.headers["Content-Type"] == "application/json"
    assert "error" in json.loads(late.body)
    app.release("/slow")
    assert running.code() == 200
    assert Call(gate, "/after").code() == 200  # the timed-out waiter left no trace
    assert gate.stats()["running"] == 0 and waiting(gate) == 0


def test_health_static_and_media_bypass_the_gate(app: App, busy: tuple[Gate, Call]) -> None:
    gate, running = busy
    Call(gate, "/anonymous")
    wait_until(lambda: waiting(gate) == 1)
    assert Call(gate, "/refused").code() == 503
    for path in ("/health", "/health/ready", "/metrics", "/static/web/site.css", "/media/a.jpg"):
        assert Call(gate, path).code() == 200, path


def test_recovers_when_load_drops(app: App, busy: tuple[Gate, Call]) -> None:
    gate, running = busy
    queued = [Call(gate, f"/m{n}", **MEMBER) for n in range(3)]
    wait_until(lambda: waiting(gate) == 3)
    assert Call(gate, "/x", **MEMBER).code() == 503
    app.release("/slow")
    assert [call.code() for call in queued] == [200, 200, 200]
    calls = [Call(gate, f"/later{n}") for n in range(5)]  # one after another: all admitted
    assert [call.code() for call in calls] == [200] * 5
    assert gate.stats()["running"] == 0


def test_exception_in_the_application_frees_the_slot(clock: Clock) -> None:
    def broken(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise RuntimeError("boom")

    gate = Gate(broken, Limits(concurrency=1, queue=0, anonymous_queue=0), clock=clock)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            gate({"PATH_INFO": "/", "REQUEST_METHOD": "GET"}, lambda *a: None)
    assert gate.stats()["running"] == 0


def test_classification() -> None:
    assert admission.priority_of({"REQUEST_METHOD": "GET"}) == admission.ANONYMOUS
    assert admission.priority_of({"REQUEST_METHOD": "GET", **MEMBER}) == admission.MEMBER
    assert admission.priority_of({"REQUEST_METHOD": "POST", **MEMBER}) == admission.WRITE
    assert admission.priority_of({"REQUEST_METHOD": "POST"}) == admission.MEMBER
    assert admission.priority_of({"REQUEST_METHOD": "GET", "HTTP_COOKIE": "csrftoken=a"}) == 2


def test_the_site_is_wrapped_with_the_configured_limits(settings: Any) -> None:
    site = App()
    assert isinstance(admission.wrap(site), Gate)
    settings.TOWNSQUARE = {
        **settings.TOWNSQUARE,
        "ADMISSION": {**settings.TOWNSQUARE["ADMISSION"], "ENABLED": False},
    }
    assert admission.wrap(site) is site


def test_real_site_behind_a_full_gate(clock: Clock) -> None:
    """The real WSGI application behind a gate with no capacity: API and page requests
    get the fixed refusals, without reaching Django (no database here)."""
    from django.core.wsgi import get_wsgi_application

    from townsquare.api.handler import ApiHandler, dispatch

    gate = Gate(
        dispatch(get_wsgi_application(), ApiHandler()),
        Limits(concurrency=0, queue=0, anonymous_queue=0),  # no capacity at all
        clock=clock,
    )

    def get(path: str) -> tuple[str, dict[str, str], bytes]:
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            seen.update(status=status, headers=dict(headers))

        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        body = b"".join(gate(environ, start_response))
        return seen["status"], seen["headers"], body

    status, headers, body = get("/api/v1/timelines/public")
    assert status.startswith("503") and headers["Retry-After"] == "2"
    assert json.loads(body)["error"]
    status, headers, body = get("/")
    assert status.startswith("503") and b"<h1>" in body
