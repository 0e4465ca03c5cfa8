"""Keeps the sessions list current: a signed-in browser's last activity, at most every 5 minutes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from townsquare.accounts.models import UserSession

TOUCH_EVERY = timedelta(minutes=5)


class SessionActivityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.session.session_key:
            now = timezone.now()
            last = request.session.get("_seen")
            if last is None or now.timestamp() - float(last) > TOUCH_EVERY.total_seconds():
                request.session["_seen"] = now.timestamp()
                UserSession.objects.filter(session_key=request.session.session_key).update(
                    last_seen_at=now
                )
        return response
