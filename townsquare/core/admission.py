"""Admission control: under overload a web process refuses work quickly (503 + Retry-After)
instead of queueing it until every request times out, and keeps what capacity it has for
signed-in members and for writes.

Where the gate sits, and why. granian queues requests in Rust, out of Python's sight, until
one of the process's request threads ("blocking threads") is free; with one request thread
(the measured best on 2 cores) a surge would wait there invisibly for seconds. So
`townsquare serve` gives granian more threads than may run Django at once (`concurrency +
queue + a few spare`), and this gate, wrapped around the WSGI application in
`townsquare.wsgi`, decides what each thread does:

- at most `concurrency` requests run the application at once (`townsquare serve --threads`);
- the others wait here, in three FIFO queues served in priority order: writes by signed-in
  members, then reads by signed-in members and anonymous writes (log in, sign up), then
  anonymous reads (page views). A request counts as signed in when it carries a session
  cookie or an `Authorization` header: a cheap check, no database (a forged cookie only buys
  a place in the members' queue; the view still treats the request as anonymous);
- anonymous reads are refused at once while `anonymous_queue` of them already wait, or once
  the oldest waiting request has waited longer than `target` for a whole `interval` (a
  standing queue, CoDel's signal: waiting has stopped absorbing a burst and only adds
  latency; a page's own burst, or one slow request, does not trip it). Everyone else is
  refused only when `queue` requests already wait: the difference is the members' reserve;
- a request that waited `max_wait` without its turn is refused (a backstop: the limits above
  normally keep waits far shorter);
- `/health`, `/metrics`, static files and local media bypass the gate: they are cheap (a
  reverse proxy serves the last two in production), and a load balancer or monitor must see
  the process alive precisely when it is busy; a page's images must not be refused when
  the page itself was admitted.

Counting in-flight requests in a queue we own (rather than estimating queue time from
outside) gives exact priorities and makes the behaviour deterministic enough to test by
status codes and order. A refusal is a fixed byte string (JSON under `/api/`, a minimal HTML
page otherwise): no template, no database, no translation lookups, a few microseconds, so
the spare threads keep answering while the site is saturated. The gate is per process:
processes share no state, and each refuses on its own load. It recovers by itself: once the
queues drain, every request is admitted again. Per-client limits (429) stay where they were,
in `townsquare.core.ratelimit`, counted per account or address across processes.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

WRITE, MEMBER, ANONYMOUS = 0, 1, 2
CLASSES = ("write", "member", "anonymous")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BYPASS_PATHS = frozenset({"/health", "/health/", "/health/ready", "/metrics", "/metrics/"})
BYPASS_PREFIXES = ("/static/", "/media/")
SPARE_THREADS = 8  # granian threads beyond concurrency + queue, to answer refusals and bypasses

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_REFUSALS: dict[tuple[str, bool], bytes] = {}  # (language, api) -> body, made once each


def _language(environ: dict[str, Any]) -> str:
    """The refusal's language: the visitor's choice (the language cookie), else the browser's
    (Accept-Language), else the site's default; no database, so a refusal stays cheap."""
    from http.cookies import CookieError, SimpleCookie

    from django.conf import settings
    from django.utils.translation import get_supported_language_variant
    from django.utils.translation.trans_real import parse_accept_lang_header

    wanted: list[str] = []
    cookie = environ.get("HTTP_COOKIE", "")
    if settings.LANGUAGE_COOKIE_NAME in cookie:
        try:
            morsel = SimpleCookie(cookie).get(settings.LANGUAGE_COOKIE_NAME)
        except CookieError:
            morsel = None
        if morsel is not None:
            wanted.append(morsel.value)
    accept = environ.get("HTTP_ACCEPT_LANGUAGE", "")
    wanted.extend(code for code, _quality in parse_accept_lang_header(accept[:200]))
    for code in wanted:
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)


def _refusal(language: str, api: bool) -> bytes:
    """The 503's body in `language`: a tiny page (with its lang and dir) or an API error."""
    body = _REFUSALS.get((language, api))
    if body is None:
        import json

        from django.utils import translation
        from django.utils.html import escape
        from django.utils.translation import gettext as _

        with translation.override(language):
            if api:
                text = json.dumps({"error": _("The site is very busy; try again in a moment.")})
            else:
                direction = "rtl" if translation.get_language_bidi() else "ltr"
                text = (
                    f'<!doctype html><html lang="{language}" dir="{direction}"><head>'
                    f"<meta charset=utf-8><title>{escape(_('Busy'))}</title></head><body>"
                    f"<h1>{escape(_('The site is very busy'))}</h1>"
                    f"<p>{escape(_('Please try again in a moment.'))}</p></body></html>"
                )
        body = _REFUSALS[(language, api)] = text.encode()
    return body


@dataclass
class Limits:
    concurrency: int = 1  # requests running the application at once in this process
    queue: int = 32  # requests waiting at most (members and writes may fill it)
    anonymous_queue: int = 8  # anonymous page views waiting at most
    target: float = 0.05  # s: anonymous reads refused while the oldest waiter waited longer
    interval: float = 0.1  # s: ... for this long without a break (CoDel's interval)
    max_wait: float = 2.0  # s: a waiting request is refused after this long
    retry_after: int = 2  # s, in the refusal's Retry-After header


@dataclass
class _Waiter:
    since: float
    turn: threading.Lock = field(default_factory=threading.Lock)
    granted: bool = False
    gone: bool = False  # timed out: skipped when its turn comes


def priority_of(environ: dict[str, Any], session_cookie: str = "sessionid") -> int:
    signed_in = bool(environ.get("HTTP_AUTHORIZATION")) or (
        f"{session_cookie}=" in environ.get("HTTP_COOKIE", "")
    )
    if environ.get("REQUEST_METHOD", "GET") not in SAFE_METHODS:
        return WRITE if signed_in else MEMBER
    return MEMBER if signed_in else ANONYMOUS


def bypasses(path: str) -> bool:
    return path in BYPASS_PATHS or path.startswith(BYPASS_PREFIXES)


class Gate:
    """A WSGI middleware; see the module's docstring. `clock` is replaceable for tests."""

    def __init__(
        self,
        app: WSGIApp,
        limits: Limits,
        session_cookie: str = "sessionid",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.limits = limits
        self.session_cookie = session_cookie
        self.clock = clock
        self._lock = threading.Lock()
        self._running = 0
        self._queues: tuple[collections.deque[_Waiter], ...] = tuple(
            collections.deque() for _ in CLASSES
        )
        self._waiting = [0, 0, 0]  # live waiters per class (the deques also hold gone ones)
        self._standing_since: float | None = None  # when the queue last became standing
        self.admitted = [0, 0, 0]
        self.refused = [0, 0, 0]

    # -- the WSGI interface --------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if bypasses(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        priority = priority_of(environ, self.session_cookie)
        if not self._acquire(priority):
            return self._refuse(environ, start_response, priority)
        try:
            return self.app(environ, start_response)
        finally:
            self._release()

    def _refuse(
        self, environ: dict[str, Any], start_response: Callable[..., Any], priority: int
    ) -> list[bytes]:
        from townsquare.core import metrics

        metrics.observe_refusal(CLASSES[priority])
        api = environ.get("PATH_INFO", "").startswith("/api/")
        body = _refusal(_language(environ), api)
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", "application/json" if api else "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(self.limits.retry_after)),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]

    # -- the queue -----------------------------------------------------------------------

    def _oldest_wait(self, now: float) -> float:
        oldest = now
        for queue in self._queues:
            while queue and queue[0].gone:
                queue.popleft()
            if queue and queue[0].since < oldest:
                oldest = queue[0].since
        return now - oldest

    def _standing(self, now: float) -> bool:
        """Whether waiting has stayed above `target` for a whole `interval`."""
        if self._oldest_wait(now) <= self.limits.target:
            self._standing_since = None
            return False
        if self._standing_since is None:
            self._standing_since = now
        return now - self._standing_since >= self.limits.interval

    def _acquire(self, priority: int) -> bool:
        limits = self.limits
        with self._lock:
            waiting = sum(self._waiting)
            if self._running < limits.concurrency and not waiting:
                self._running += 1
                self.admitted[priority] += 1
                return True
            now = self.clock()
            full = waiting >= limits.queue
            if priority == ANONYMOUS and not full:
                full = self._waiting[ANONYMOUS] >= limits.anonymous_queue or self._standing(now)
            if full:
                self.refused[priority] += 1
                return False
            waiter = _Waiter(now)
            waiter.turn.acquire()
            self._queues[priority].append(waiter)
            self._waiting[priority] += 1
        waiter.turn.acquire(timeout=limits.max_wait)
        with self._lock:
            if waiter.granted:
                self.admitted[priority] += 1
                return True
            waiter.gone = True
            self._waiting[priority] -= 1
            self.refused[priority] += 1
            return False

    def _release(self) -> None:
        with self._lock:
            for priority, queue in enumerate(self._queues):
                while queue:
                    waiter = queue.popleft()
                    if waiter.gone:
                        continue
                    self._waiting[priority] -= 1
                    waiter.granted = True  # the slot passes to it: _running stays the same
                    waiter.turn.release()
                    return
            self._running -= 1
            self._standing_since = None  # nobody waits: no standing queue

    def stats(self) -> dict[str, Any]:
        """Counters for monitoring: running, waiting, admitted and refused per class."""
        with self._lock:
            return {
                "running": self._running,
                "waiting": dict(zip(CLASSES, self._waiting, strict=True)),
                "admitted": dict(zip(CLASSES, self.admitted, strict=True)),
                "refused": dict(zip(CLASSES, self.refused, strict=True)),
            }


def limits_from_settings() -> Limits | None:
    """The limits configured (settings.TOWNSQUARE["ADMISSION"]), or None when turned off."""
    from django.conf import settings

    conf = settings.TOWNSQUARE.get("ADMISSION") or {}
    if not conf.get("ENABLED"):
        return None
    return Limits(
        concurrency=conf["CONCURRENCY"],
        queue=conf["QUEUE"],
        anonymous_queue=conf["ANONYMOUS_QUEUE"],
        target=conf["TARGET_MS"] / 1000,
        interval=conf["INTERVAL_MS"] / 1000,
        max_wait=conf["MAX_WAIT_MS"] / 1000,
        retry_after=conf["RETRY_AFTER"],
    )


def wrap(app: WSGIApp) -> WSGIApp:
    """`app` behind a gate with the configured limits (unchanged when admission is off)."""
    from django.conf import settings

    limits = limits_from_settings()
    if limits is None:
        return app
    return Gate(app, limits, settings.SESSION_COOKIE_NAME)


def threads_for(concurrency: int, queue: int) -> int:
    """The request threads granian needs so that every waiting request is visible here."""
    return concurrency + queue + SPARE_THREADS
