"""The client API's own request handler: a shorter middleware chain for `/api/` requests.

The API authorizes by bearer token, never by cookie, so sessions, CSRF, the cookie login,
flash messages and the page-only headers have nothing to do there; they cost about a fifth of
a home timeline request (in-process, `bench/profile_api.py`). `townsquare.wsgi` sends paths
under `/api/` here and everything else through Django's usual handler with the full
`MIDDLEWARE`. The chain is `settings.API_MIDDLEWARE`, built the way Django builds its own
(synchronous middleware only; every middleware here is)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

PREFIX = "/api/"


class ApiHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        if is_async:
            raise ValueError("the API handler is synchronous")
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(settings.API_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


def dispatch(
    site: Callable[..., Iterable[bytes]], api: Callable[..., Iterable[bytes]]
) -> Callable[..., Iterable[bytes]]:
    """A WSGI application that sends `/api/` paths to `api` and the rest to `site`."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        return (api if path.startswith(PREFIX) else site)(environ, start_response)

    return application
