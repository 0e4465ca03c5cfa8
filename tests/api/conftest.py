"""Fixtures for the client API: members with tokens, and a client that speaks JSON."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.test.client import ClientHandler

from tests.tokens import ALL_SCOPES, make_app, make_token

# make_app and make_token are imported from here by many test modules.
__all__ = ["ALL_SCOPES", "ApiClient", "api_as", "make_app", "make_token"]
from townsquare.accounts.models import User
from townsquare.api.handler import PREFIX, ApiHandler


class _ApiClientHandler(ClientHandler):
    load_middleware = ApiHandler.load_middleware  # settings.API_MIDDLEWARE


class _RoutingHandler:
    """As townsquare.wsgi routes requests: under /api/ through the API's middleware chain,
    everything else (OAuth pages, discovery documents) through the site's."""

    def __init__(self) -> None:
        self.site = ClientHandler(enforce_csrf_checks=False)
        self.api = _ApiClientHandler(enforce_csrf_checks=False)

    def __call__(self, environ: dict[str, Any]) -> Any:
        handler = self.api if environ.get("PATH_INFO", "").startswith(PREFIX) else self.site
        return handler(environ)


class ApiClient:
    """Django's test client with a bearer token; JSON bodies by default. Requests go through
    the middleware chain they go through when served."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.client.handler = _RoutingHandler()  # type: ignore[assignment]
        self.token = token

    def _headers(self, token: str | None) -> dict[str, str]:
        use = self.token if token is None else token
        return {"HTTP_AUTHORIZATION": f"Bearer {use}"} if use else {}

    def get(self, path: str, params: Any = None, *, token: str | None = None) -> Any:
        return self.client.get(path, params or {}, **self._headers(token))

    def post(
        self,
        path: str,
        data: Any = None,
        *,
        token: str | None = None,
        form: bool = False,
        **extra: Any,
    ) -> Any:
        if form:
            return self.client.post(path, data or {}, **self._headers(token), **extra)
        return self.client.post(
            path, data or {}, content_type="application/json", **self._headers(token), **extra
        )

    def put(self, path: str, data: Any = None, *, token: str | None = None) -> Any:
        return self.client.put(
            path, data or {}, content_type="application/json", **self._headers(token)
        )

    def patch(
        self, path: str, data: Any = None, *, token: str | None = None, form: bool = False
    ) -> Any:
        if form:
            from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

            return self.client.patch(
                path,
                encode_multipart(BOUNDARY, data or {}),
                content_type=MULTIPART_CONTENT,
                **self._headers(token),
            )
        return self.client.patch(
            path, data or {}, content_type="application/json", **self._headers(token)
        )

    def delete(self, path: str, *, token: str | None = None) -> Any:
        return self.client.delete(path, **self._headers(token))


@pytest.fixture
def anon() -> ApiClient:
    return ApiClient()


@pytest.fixture
def fern_api(fern: User) -> ApiClient:
    """Fern (see tests/conftest.py) with a token of every scope."""
    return ApiClient(make_token(fern))


def api_as(user: User, scopes: str = ALL_SCOPES) -> ApiClient:
    return ApiClient(make_token(user, scopes))
