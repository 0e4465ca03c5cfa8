"""The served WSGI application (townsquare.wsgi): API requests take the API's short middleware
chain (no sessions, cookies or CSRF) yet keep the headers every answer needs; pages keep the
full chain."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import Client

from tests.api.conftest import make_token
from tests.factories import make_user
from townsquare.wsgi import application

pytestmark = pytest.mark.django_db


def serve(
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    length: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "CONTENT_LENGTH": length or str(len(body)),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    seen: list[Any] = []
    # As Django's test client does: the test's transaction must outlive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body_out = b"".join(application(environ, lambda status, h: seen.append((status, h))))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    status, header_list = seen[0]
    return int(status.split()[0]), dict(header_list), body_out


def test_api_answers_keep_their_headers_and_set_no_cookie() -> None:
    status, headers, body = serve("/api/v1/instance")
    assert status == 200 and body.startswith(b"{")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["X-Request-Id"]
    assert "Content-Security-Policy" in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in headers


def test_api_with_a_token_works_and_a_session_cookie_is_not_a_login(fern: Any) -> None:
    token = make_token(fern, "read")
    status, _, body = serve(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200 and b'"username":"fern"' in body
    browser = Client()
    browser.force_login(make_user("rosemary"))
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    status, _, body = serve("/api/v1/accounts/verify_credentials", headers={"Cookie": cookie})
    assert status == 401 and b'"error"' in body


def test_an_oversized_api_upload_gets_json() -> None:
    status, headers, body = serve("/api/v2/media", method="POST", length=str(10**10))
    assert status == 413
    assert headers["Content-Type"].startswith("application/json")
    assert b'"error"' in body


def test_pages_keep_the_full_chain() -> None:
    status, headers, _ = serve("/login")
    assert status == 200
    assert headers["X-Frame-Options"] == "DENY"
    assert "csrftoken" in headers.get("Set-Cookie", "")
