"""The outbound HTTP client never reaches private networks, whatever a URL, a redirect or a
DNS answer says; it limits size and time and names itself honestly."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from townsquare.core import http

Handler = Callable[[BaseHTTPRequestHandler], None]


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalWeb._Server

    def do_GET(self) -> None:  # noqa: N802 -- the http.server API
        web = self.server.web
        web.requests.append({"path": self.path, "headers": dict(self.headers.items())})
        route = web.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send_error(404)
            return
        # The client may give up halfway (size or time limit): that is the point.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalWeb:
    """A small web server on 127.0.0.1 for one test: routes by path, records requests."""

    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        web: LocalWeb

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[dict[str, Any]] = []
        self.server = self._Server(("127.0.0.1", 0), _RequestHandler)
        self.server.web = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def page(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body

        def respond(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)

        self.routes[path] = respond

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.page(path, b"", status=status, headers={"Location": location})

    def handler(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def paths_requested(self) -> list[str]:
        return [request["path"] for request in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    server = LocalWeb()
    yield server
    server.close()


@pytest.fixture
def no_loopback(settings: Any) -> None:
    """Production behaviour: loopback refused like any other private address."""
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "OUTBOUND_ALLOW_LOOPBACK": False}


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Names resolve to the given addresses; returns the log of names looked up."""
    looked_up: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return answers[host]

    monkeypatch.setattr(http, "resolve", resolve)
    return looked_up


REFUSED_ADDRESSES = [
    "10.0.0.8",
    "10.255.1.2",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.20",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.251",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
    "fec0::1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:192.168.0.1",
    "2002:a00:1::1",  # 6to4 around 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_names_resolving_to_private_or_special_addresses_are_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    fake_dns(monkeypatch, {"intranet.example": [address]})
    with pytest.raises(http.AddressRefused, match="not public"):
        http.get("http://intranet.example/")


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_loopback_is_refused_unless_the_test_setting_allows_it(
    monkeypatch: pytest.MonkeyPatch, no_loopback: None, address: str
) -> None:
    fake_dns(monkeypatch, {"self.example": [address]})
    with pytest.raises(http.AddressRefused):
        http.get("http://self.example/")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:192.168.1.1]/",
        "http://0.0.0.0/",
        "http://127.0.0.1/",
        "http://2130706433/",  # 127.0.0.1 written as one number
        "http://0x7f.1/",
        "http://localhost/",
    ],
)
def test_address_literals_in_urls_are_checked_too(no_loopback: None, url: str) -> None:
    with pytest.raises(http.AddressRefused):
        http.get(url)


def test_a_name_with_one_private_answer_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns(monkeypatch, {"mixed.example": ["93.184.215.14", "10.1.1.1"]})
    with pytest.raises(http.AddressRefused):
        http.get("https://mixed.example/")


@pytest.mark.parametrize(
    "url",
    ["ftp://files.example/a", "file:///etc/passwd", "gopher://x.example/", "javascript:alert(1)"],
)
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(http.AddressRefused, match="only http and https"):
        http.get(url)


def test_other_ports_are_refused_in_production(
    monkeypatch: pytest.MonkeyPatch, no_loopback: None
) -> None:
    fake_dns(monkeypatch, {"garden.example": ["93.184.215.14"]})
    with pytest.raises(http.AddressRefused, match="ports 80 and 443"):
        http.get("http://garden.example:6379/")


def test_credentials_in_urls_are_refused(web: LocalWeb) -> None:
    with pytest.raises(http.AddressRefused, match="credentials"):
        http.get(f"http://admin:secret@127.0.0.1:{web.port}/")
    assert web.requests == []


def test_a_page_is_fetched_with_an_honest_user_agent(web: LocalWeb) -> None:
    web.page("/club", "<h1>Chess society</h1>")
    response = http.get(web.url("/club"))
    assert response.status == 200
    assert response.content == b"<h1>Chess society</h1>"
    assert response.content_type == "text/html" and response.charset == "utf-8"
    headers = web.requests[0]["headers"]
    assert headers["User-Agent"] == "Townsquare/0.1.0 (+http://testserver)"
    assert headers["Accept-Encoding"] == "identity"


def test_non_ascii_paths_are_percent_encoded(web: LocalWeb) -> None:
    web.page("/g%C3%A4rtnerei", "Gärtnerei")
    assert http.get(web.url("/gärtnerei?tag=a%20b")).status == 200
    assert web.paths_requested() == ["/g%C3%A4rtnerei?tag=a%20b"]


def test_redirects_are_followed_and_each_hop_is_checked(web: LocalWeb) -> None:
    web.redirect("/old", "/newer", 301)
    web.redirect("/newer", web.url("/newest"), 307)
    web.page("/newest", "seed catalogue")
    response = http.get(web.url("/old"))
    assert response.content == b"seed catalogue"
    assert response.url == web.url("/newest")


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.5/admin",
        "http://169.254.169.254/latest/meta-data/iam",
        "http://[::ffff:10.0.0.5]/",
        "http://internal.example/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, web: LocalWeb, location: str
) -> None:
    fake_dns(monkeypatch, {"internal.example": ["192.168.0.10"]})
    web.redirect("/jump", location)
    with pytest.raises(http.AddressRefused):
        http.get(web.url("/jump"))
    assert web.paths_requested() == ["/jump"]


def test_a_redirect_to_loopback_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch, no_loopback: None
) -> None:
    fake_dns(monkeypatch, {"public.example": ["93.184.215.14"]})
    calls: list[str] = []

    def exchange(target: Any, addresses: list[str], **kwargs: Any) -> tuple[int, Any, bytes]:
        calls.extend(addresses)
        from email.message import Message

        headers = Message()
        headers["Location"] = "http://127.0.0.1/admin"
        return 302, headers, b""

    monkeypatch.setattr(http, "_exchange", exchange)
    with pytest.raises(http.AddressRefused):
        http.get("http://public.example/")
    assert calls == ["93.184.215.14"]


def test_too_many_redirects_stop(web: LocalWeb) -> None:
    web.redirect("/loop", "/loop")
    with pytest.raises(http.OutboundError, match="redirects"):
        http.get(web.url("/loop"))
    assert len(web.requests) == 4  # the first request and three redirects


def test_a_dns_answer_that_changes_after_the_check_cannot_redirect_the_connection(
    monkeypatch: pytest.MonkeyPatch, web: LocalWeb
) -> None:
    """DNS rebinding: the name first resolves to an allowed address, then to a private one.
    The client connects to the address it checked and never asks DNS again."""
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1"] + ["10.0.0.1"] * 5)
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.example":
            asked.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    web.page("/board", "tournament results")
    response = http.get(web.url("/board", host="rebind.example"))
    assert response.content == b"tournament results"
    assert asked == ["rebind.example"]
    assert web.requests[0]["headers"]["Host"] == f"rebind.example:{web.port}"

    # A redirect back to the same name is looked up again, and now refused.
    web.redirect("/hop", web.url("/board", host="rebind.example"))
    with pytest.raises(http.AddressRefused):
        http.get(web.url("/hop", host="rebind.example"))


def test_when_one_checked_address_is_down_the_next_one_is_tried(
    monkeypatch: pytest.MonkeyPatch, web: LocalWeb
) -> None:
    fake_dns(monkeypatch, {"club.example": ["127.0.0.2", "127.0.0.1"]})  # nothing on .2
    web.page("/fixtures", "Saturday: home match")
    assert http.get(web.url("/fixtures", host="club.example")).content == b"Saturday: home match"


def test_a_large_response_is_refused(web: LocalWeb) -> None:
    web.page("/big", b"x" * (http.HTML_MAX_BYTES + 1))
    with pytest.raises(http.ResponseTooLarge):
        http.get(web.url("/big"))


def test_a_large_response_without_a_length_is_cut_off(web: LocalWeb) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        for _ in range(64):  # 4 MB, with no Content-Length: ends when the connection does
            handler.wfile.write(b"y" * 65536)

    web.handler("/stream", endless)
    with pytest.raises(http.ResponseTooLarge):
        http.get(web.url("/stream"), max_bytes=100_000)


def test_a_slow_server_times_out(web: LocalWeb) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(3)

    web.handler("/slow", slow)
    started = time.monotonic()
    with pytest.raises(http.OutboundTimeout):
        http.get(web.url("/slow"), timeout=0.5)
    assert time.monotonic() - started < 2


def test_a_server_dripping_bytes_is_cut_off_at_the_total_time_limit(web: LocalWeb) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b"z")
            handler.wfile.flush()
            time.sleep(0.05)

    web.handler("/drip", drip)
    started = time.monotonic()
    with pytest.raises(http.OutboundTimeout):
        http.get(web.url("/drip"), timeout=0.6)
    assert time.monotonic() - started < 2


def test_a_closed_port_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(http.OutboundError, match="failed"):
        http.get(f"http://127.0.0.1:{port}/")


def test_an_error_status_is_returned_not_raised(web: LocalWeb) -> None:
    response = http.get(web.url("/missing"))
    assert response.status == 404


def test_a_dns_lookup_that_hangs_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    release = threading.Event()

    def hanging(*args: object, **kwargs: object) -> list[object]:
        release.wait(5)
        return []

    monkeypatch.setattr(http, "DNS_TIMEOUT", 0.2)
    monkeypatch.setattr(http.socket, "getaddrinfo", hanging)
    try:
        with pytest.raises(http.OutboundTimeout):
            http.resolve("slow.example", 80)
    finally:
        release.set()
