"""`/metrics` for a machine that runs job workers and no web process (`townsquare worker
--metrics-port`): the same exposition as the web's `/metrics` (every process's counts in this
machine's metrics folder, and the job queue), served by a small HTTP server on a thread of the
worker, under the same rule: from this machine, or with `TOWNSQUARE_METRICS_TOKEN`."""

from __future__ import annotations

import hmac
import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import close_old_connections

from townsquare.core.metrics import exposition


def _allowed(address: str, authorization: str) -> bool:
    token: str = settings.TOWNSQUARE["METRICS_TOKEN"]
    if token and authorization[:7].lower() == "bearer ":
        return hmac.compare_digest(authorization[7:].strip().encode(), token.encode())
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    server_version = "townsquare-worker-metrics"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if self.path.split("?", 1)[0].rstrip("/") != "/metrics":
            self._answer(404, b"Not found: this port serves /metrics only.\n")
        elif not _allowed(self.client_address[0], self.headers.get("Authorization", "")):
            self._answer(
                403,
                b"Metrics are served to this machine, or with the bearer token set in "
                b"TOWNSQUARE_METRICS_TOKEN.\n",
            )
        else:
            try:
                body, content_type = exposition()
            finally:
                close_old_connections()  # this thread's database connection, per scrape
            self._answer(200, body, content_type)

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # one line per scrape would drown the worker's own log


def start(host: str, port: int) -> ThreadingHTTPServer:
    """Serve /metrics on (host, port) from a daemon thread; `shutdown()` stops it. Raises
    OSError when the port cannot be listened on."""
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
