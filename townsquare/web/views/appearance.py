"""The operator's custom CSS as a stylesheet, and a member's own colour mode."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_http_methods

from townsquare.site import css, state
from townsquare.web import appearance
from townsquare.web.appearance_forms import DisplayForm

CSS_MAX_AGE = 24 * 3600  # the layout links it with ?v=<last change>, so a change shows at once


def _changed_at(request: HttpRequest) -> datetime.datetime | None:
    return state.site_settings().updated_at


def _etag(request: HttpRequest) -> str:
    changed = state.site_settings().updated_at
    return f"css-{changed.timestamp():.6f}" if changed else "css-0"


@require_http_methods(["GET", "HEAD"])
@condition(etag_func=_etag, last_modified_func=_changed_at)
def custom_css(request: HttpRequest) -> HttpResponse:
    """The custom CSS, without @import rules or addresses of other sites (`site.css`)."""
    served, _removed, withheld = css.cleaned(state.site_settings().custom_css)
    if withheld:
        served = "/* The custom CSS refers to other sites; it is not served. */\n"
    response = HttpResponse(served, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={CSS_MAX_AGE}"
    return response


@require_http_methods(["GET", "POST"])
def display_settings(request: HttpRequest) -> HttpResponse:
    """Light, dark or the device's setting, for this browser (visitors too: it is a cookie)."""
    if request.method == "POST":
        form = DisplayForm(request.POST)
        if form.is_valid():
            response = redirect("display_settings")
            appearance.remember_mode(response, form.cleaned_data["mode"])
            messages.success(request, _("Your colour choice is saved on this device."))
            return response
        return render(request, "web/settings/display.html", {"form": form}, status=400)
    form = DisplayForm(initial={"mode": appearance.member_mode(request)})
    return render(request, "web/settings/display.html", {"form": form})
