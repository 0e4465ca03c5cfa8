"""Per-request middleware of accounts: the sessions list kept current (a signed-in browser's
last activity, at most every 5 minutes; the member's day of activity, once a day), and the language each request is answered in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from townsquare.accounts.languages import language_for
from townsquare.accounts.models import UserSession

TOUCH_EVERY = timedelta(minutes=5)


class SessionActivityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.active_on != timezone.localdate():
            # Once a day, before the page: a member back after a long absence gets their
            # home feed rebuilt first (feeds.activity).
            from townsquare.feeds import actions as feed_actions

            feed_actions.touch(user)
        response = self.get_response(request)
        if user is not None and user.is_authenticated and request.session.session_key:
            now = timezone.now()
            last = request.session.get("_seen")
            if last is None or now.timestamp() - float(last) > TOUCH_EVERY.total_seconds():
                request.session["_seen"] = now.timestamp()
                UserSession.objects.filter(session_key=request.session.session_key).update(
                    last_seen_at=now
                )
        return response


class LanguageMiddleware:
    """Speaks each request's language (see language_for), says so in Content-Language, and
    tells caches that the answer depends on the browser's languages and cookies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = language_for(request)
        translation.activate(code)
        request.LANGUAGE_CODE = code
        try:
            response = self.get_response(request)
            # The language actually spoken: the API switches to a token's member's choice.
            response.headers.setdefault("Content-Language", translation.get_language() or code)
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        finally:
            translation.deactivate()
        return response
