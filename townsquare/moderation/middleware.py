"""A suspended member who logs in sees only the page that tells them so (with the decision and
how to appeal), their data export and logging out: every other page sends them there."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

# Paths a suspended member may still open (prefixes). Appeals add theirs here.
ALLOWED_PREFIXES = (
    "/suspended",
    "/logout",
    "/settings/data",
    "/appeals",
    "/statements",
    "/static/",
    "/media/",
    "/site/",
    "/language",
)


class SuspendedMemberMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "is_suspended", False)
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            return redirect("account_suspended")
        return self.get_response(request)
