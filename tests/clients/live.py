"""A live server for the client tests: a real `townsquare serve` process on a free
loopback port with a fresh data folder, driven by real Mastodon clients (Mastodon.py, toot,
schemathesis) over HTTP.

These are not browser tests (no `e2e` marker): they run in both passes. On the PostgreSQL pass
(TOWNSQUARE_DATABASE_URL set) each server gets a database of its own, created here and dropped
afterwards, and shares the Redis of the test run.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from tests.databases import migrated_copy
from tests.e2e.conftest import Server, _healthy, _stop, _townsquare_command, wait_until

START_TIMEOUT = 90.0
PASSWORD = "garden-club-2024"
ALL_SCOPES = "read write follow push"


# --- the server ----------------------------------------------------------------------------


def _port_pair() -> int:
    """A free port whose next port is free too (the streaming server listens there)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no pair of free ports")


def _pg_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@dataclass
class Site:
    """A running server, with helpers to make members and tokens through its own CLI and API."""

    server: Server
    url: str
    members: dict[str, str] = field(default_factory=dict)  # username -> email
    _app: dict[str, str] | None = None

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir

    def log_tail(self, lines: int = 60) -> str:
        return self.server.log_tail(lines)

    # plain HTTP, without any client library
    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Message, bytes]:
        """(status, headers (case-insensitive), body) of one request."""
        all_headers = {"User-Agent": "townsquare-client-tests", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.url + path, data=body, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()

    def json(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        token: str | None = None,
        expect: int | None = 200,
    ) -> Any:
        body = json.dumps(data).encode() if data is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        status, _headers, raw = self.request(method, path, token=token, body=body, headers=headers)
        if expect is not None:
            assert status == expect, f"{method} {path} -> {status}: {raw[:500]!r}"
        return json.loads(raw) if raw else None

    def member(self, username: str) -> str:
        """Create `username` (once) through `townsquare user create`; returns their email."""
        if username not in self.members:
            email = f"{username}@garden.example"
            self.server.create_member(username, email, PASSWORD)
            self.members[username] = email
        return self.members[username]

    def app(self) -> dict[str, str]:
        if self._app is None:
            self._app = self.json(
                "POST",
                "/api/v1/apps",
                {
                    "client_name": "client tests",
                    "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                    "scopes": ALL_SCOPES,
                },
            )
        assert self._app is not None
        return self._app

    def token(self, username: str, scopes: str = ALL_SCOPES) -> str:
        """An access token for `username` through the password grant."""
        email = self.member(username)
        app = self.app()
        reply = self.json(
            "POST",
            "/oauth/token",
            {
                "grant_type": "password",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "username": email,
                "password": PASSWORD,
                "scope": scopes,
            },
        )
        return str(reply["access_token"])

    def streaming_url(self) -> str:
        instance = self.json("GET", "/api/v1/instance")
        return str(instance["urls"]["streaming_api"])


@contextlib.contextmanager
def running_site(
    data_dir: Path, purpose: str, migrated: Path, template: str | None
) -> Iterator[Site]:
    """`townsquare serve` on a free port with `data_dir`, until the block ends; its database
    starts as a copy of the run's migrated one (`migrated`, or `template` on PostgreSQL)."""
    with migrated_copy(data_dir, migrated, template, f"clients_{purpose}") as variables:
        port = _port_pair()
        url = f"http://127.0.0.1:{port}"
        env = {
            key: value
            for key, value in os.environ.items()
            if key
            not in {
                "TOWNSQUARE_DATABASE_URL",
                "TOWNSQUARE_EMAIL_URL",
                "TOWNSQUARE_DEBUG",
                "TOWNSQUARE_STREAMING_URL",
                "DJANGO_SETTINGS_MODULE",
            }
        }
        env.update(variables)  # on PostgreSQL, the server's own copy of the migrated database
        env.update(
            TOWNSQUARE_DATA_DIR=str(data_dir),
            TOWNSQUARE_BASE_URL=url,
            TOWNSQUARE_LINK_PREVIEWS="false",
            PYTHONUNBUFFERED="1",
        )
        log_path = data_dir / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*_townsquare_command(), "serve", "--port", str(port), "--threads", "2"],
                env=env,
                cwd=data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(url=url, data_dir=data_dir, env=env, log_path=log_path, process=process)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _healthy(url):
                if process.poll() is not None:
                    pytest.fail(
                        f"townsquare serve exited {process.returncode}:\n{server.log_tail()}"
                    )
                if time.monotonic() > deadline:
                    pytest.fail(f"townsquare serve did not answer /health:\n{server.log_tail()}")
                time.sleep(0.2)
            yield Site(server=server, url=url)
        finally:
            _stop(process)


def png_bytes(size: tuple[int, int] = (64, 48), colour: str = "seagreen") -> bytes:
    """A small real PNG picture (a plain rectangle) for uploads."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


__all__ = ["PASSWORD", "Site", "png_bytes", "running_site", "wait_until"]
