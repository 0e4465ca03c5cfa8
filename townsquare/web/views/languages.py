"""The language picker: the footer's form posts here (it works without JavaScript)."""

from __future__ import annotations

from typing import Literal, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from townsquare.accounts import actions
from townsquare.core.ratelimit import RateLimited
from townsquare.web.language_forms import LanguageForm
from townsquare.web.views.common import safe_next

_SAMESITE = cast(Literal["Lax", "Strict", "None", False] | None, settings.LANGUAGE_COOKIE_SAMESITE)


def remember_language(response: HttpResponse, code: str) -> None:
    """Keep `code` in this browser's language cookie ("" forgets it: the browser's own
    languages decide again)."""
    if not code:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=_SAMESITE,
        )
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=_SAMESITE,
    )


def _back(request: HttpRequest) -> str:
    """The page the picker was on: `next`, else the referring page of this site, else home."""
    if request.POST.get("next") or request.GET.get("next"):
        return safe_next(request, "/")
    referer = urlsplit(request.headers.get("Referer", ""))
    if (
        referer.netloc == request.get_host()
        and referer.path.startswith("/")
        and not referer.path.startswith(("//", "/\\"))
    ):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


@require_http_methods(["GET", "POST"])
def choose_language(request: HttpRequest) -> HttpResponse:
    """A visitor's choice is kept in the language cookie; a member's on their account too
    (it then follows them to every browser, and to their emails)."""
    if request.method == "POST":
        form = LanguageForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["language"]
            user = request.user
            try:
                if user.is_authenticated:
                    actions.set_language(user, code)
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                response = redirect(_back(request))
                remember_language(response, code)
                return response
        status = 400
    else:
        form = LanguageForm(initial={"language": translation.get_language()})
        status = 200
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "web/language.html", context, status=status)
