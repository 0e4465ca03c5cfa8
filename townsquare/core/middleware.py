"""A request id on every request and log line, so a 500 page can name what to look for."""

from __future__ import annotations

import contextvars
import functools
import logging
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = secrets.token_hex(8)
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-Id"] = request_id
        return response


class RateLimitedMiddleware:
    """An action that hit a rate limit, and that the view did not handle, becomes a 429 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from townsquare.core.ratelimit import RateLimited

        if not isinstance(exception, RateLimited):
            return None
        response = render(
            request, "web/error.html", {"status": 429, "message": str(exception)}, status=429
        )
        response["Retry-After"] = str(exception.retry_after)
        return response


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: https:",
        "media-src 'self' https:",
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com",
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


@functools.lru_cache(maxsize=64)
def _policy_for(scheme: str, host: str) -> str:
    """The policy, with the streaming server the page's live connection goes to allowed as
    a connection target (it may sit on another port or host)."""
    from townsquare.realtime.pages import live_url

    parts = urlsplit(live_url(scheme, host))
    return f"{CONTENT_SECURITY_POLICY}; connect-src 'self' {parts.scheme}://{parts.netloc}"


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy on every page: scripts only from this site."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            try:
                policy = _policy_for(request.scheme or "http", request.get_host())
            except (DisallowedHost, ValueError):
                policy = CONTENT_SECURITY_POLICY
            response.headers["Content-Security-Policy"] = policy
        return response


class RequestSizeMiddleware:
    """Refuse a request body larger than any form here accepts, before anything reads it
    (Django would otherwise spool a large upload to disk first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.shortcuts import render

        config = settings.TOWNSQUARE
        image = config["MAX_UPLOAD_BYTES"]
        # The largest form: a post with its most images, a post with a video, or a profile
        # with an avatar and a header; plus room for the text fields.
        biggest = max(image * config["MAX_MEDIA_PER_POST"], config["MAX_VIDEO_BYTES"], image * 2)
        limit = biggest + 1024 * 1024
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            from django.utils import translation

            # Refused before the language is worked out for the request: the browser's.
            with translation.override(translation.get_language_from_request(request)):
                message = translation.gettext("That upload is too large for this site.")
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse({"error": message}, status=413)
                return render(
                    request, "web/error.html", {"status": 413, "message": message}, status=413
                )
        return self.get_response(request)
