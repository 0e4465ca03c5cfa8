"""Small helpers the HTML views share."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from townsquare.site import features


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show an action's ValidationError on the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def safe_next(request: HttpRequest, default: str) -> str:
    """Where to go after a form: `next` only when it is a path on this site (a bare word would
    be taken for a URL name by redirect())."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def parse_id(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 0 < value < 2**63 else None


def feature_required(
    name: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view of a feature the operator can switch off: a 404 while it is off. The guarded
    view says which feature guards it (`view.feature`), for the test that checks every route
    of a feature is guarded (tests/test_feature_routes.py)."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not features.enabled(name):
                raise Http404("This part of the site is switched off.")
            return view(request, *args, **kwargs)

        guarded.feature = name  # type: ignore[attr-defined]
        return guarded

    return wrap


def to_two_factor_setup(request: HttpRequest) -> HttpResponse:
    """A staff page opened by staff without two-factor authentication while the operator
    requires it: to its setup, and back here afterwards."""
    from urllib.parse import urlencode

    from django.contrib import messages
    from django.shortcuts import redirect
    from django.urls import reverse

    messages.info(
        request,
        _("This site requires staff to use two-factor authentication: set it up to go on."),
    )
    back = request.get_full_path() if request.method == "GET" else ""
    query = f"?{urlencode({'next': back})}" if back else ""
    return redirect(reverse("two_factor_settings") + query)


def permission_required(
    name: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A staff view: visitors go to the login page; members without the permission `name`
    (accounts.permissions) get a 403."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not user.can(name):
                raise PermissionDenied(_("Only staff with that permission can open this page."))
            from townsquare.accounts import two_factor

            if two_factor.required_but_missing(user):  # the operator requires it of staff
                return to_two_factor_setup(request)
            return view(request, *args, **kwargs)

        return guarded

    return wrap
