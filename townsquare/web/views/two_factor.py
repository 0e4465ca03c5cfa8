"""Two-factor authentication in the browser: the second step of logging in, and the settings
page where a member sets it up, sees their recovery codes once, makes new ones or turns it off.

Between the password and the code the browser is not logged in: the session only remembers,
for five minutes, whose password was right (and that password's hash, so that a password
reset in between voids it)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from townsquare.accounts import actions, two_factor
from townsquare.accounts.backends import UsernameOrEmailBackend
from townsquare.accounts.models import User
from townsquare.core.ratelimit import RateLimited
from townsquare.site import state as site_state
from townsquare.web.views.common import client_ip, safe_next

PENDING_KEY = "two_factor_login"
PENDING_SECONDS = 5 * 60


def _code_field(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


def _password_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Your password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class LoginCodeForm(forms.Form):
    code = _code_field(gettext_lazy("The 6-digit code from your app, or a recovery code"))


class ConfirmForm(forms.Form):
    code = _code_field(gettext_lazy("The 6-digit code the app shows"))
    password = _password_field()


class RegenerateForm(forms.Form):
    code = _code_field(gettext_lazy("The 6-digit code from your app"))


class DisableForm(forms.Form):
    password = _password_field()
    code = _code_field(gettext_lazy("The 6-digit code from your app, or a recovery code"))


# --- logging in ------------------------------------------------------------------------------


def begin_login(request: HttpRequest, user: User, *, restore: bool = False) -> HttpResponse:
    """The password was right and `user` has two-factor authentication: ask for the code.
    `restore`: the account is waiting to be deleted, and the code leads to the offer to keep
    it instead of a login."""
    request.session[PENDING_KEY] = {
        "id": user.pk,
        "at": time.time(),
        "hash": user.get_session_auth_hash(),
        "next": safe_next(request, ""),
        "restore": restore,
    }
    return redirect("login_code")


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    marker = request.session.get(PENDING_KEY)
    if not isinstance(marker, dict):
        return None
    try:
        user_id, at = int(marker["id"]), float(marker["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if not 0 <= time.time() - at <= PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None or marker.get("hash") != user.get_session_auth_hash():
        return None  # gone, or the password changed since
    if not marker.get("restore") and not UsernameOrEmailBackend().user_can_authenticate(user):
        return None  # staff disabled the login in between
    if not two_factor.is_enabled(user):
        return None  # turned off in between: log in again
    return user, marker


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    found = _pending(request)
    if found is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("Log in again: the time to type the code ran out."))
        return redirect("login")
    user, marker = found
    form = LoginCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.check_login_code(user, form.cleaned_data["code"], client_ip(request))
        except two_factor.CodeRefused as exc:
            form.add_error(None, str(exc))
        else:
            request.session.pop(PENDING_KEY, None)
            if marker.get("restore"):
                from townsquare.web.views import data as data_views

                return data_views.offer_restore(request, user)
            actions.log_in(request, user)
            _warn_if_few_codes(request, user)
            return redirect(marker.get("next") or "/")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "web/accounts/login_code.html", {"form": form}, status=status)


def _warn_if_few_codes(request: HttpRequest, user: User) -> None:
    left = two_factor.recovery_codes_left(user)
    if left <= 2:
        messages.warning(
            request,
            ngettext(
                "You have %(count)d recovery code left: make new ones under Settings, "
                "Two-factor authentication.",
                "You have %(count)d recovery codes left: make new ones under Settings, "
                "Two-factor authentication.",
                left,
            )
            % {"count": left},
        )


# --- settings --------------------------------------------------------------------------------


def _codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """The recovery codes, shown this once (the answer to the POST that made them)."""
    context = {"codes": codes, "next": safe_next(request, "")}
    response = render(request, "web/settings/recovery_codes.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _render_settings(
    request: HttpRequest, user: User, forms_: dict[str, forms.Form], status: int = 200
) -> HttpResponse:
    enabled = two_factor.is_enabled(user)
    pending = None if enabled else two_factor.pending_setup(user)
    context: dict[str, Any] = {
        "enabled": enabled,
        "pending": pending,
        "required": two_factor.required_but_missing(user),
        "next": safe_next(request, ""),
        "confirm_form": forms_.get("confirm") or ConfirmForm(prefix="confirm"),
        "regenerate_form": forms_.get("regenerate") or RegenerateForm(prefix="regenerate"),
        "disable_form": forms_.get("disable") or DisableForm(prefix="disable"),
    }
    if enabled:
        context["codes_left"] = two_factor.recovery_codes_left(user)
    if pending is not None:
        uri = two_factor.provisioning_uri(user, pending.secret, site_state.site_name())
        context.update(
            uri=uri,
            qr=two_factor.qr_data_uri(uri),
            # Grouped by four for typing into an app by hand.
            secret_groups=" ".join(
                pending.secret[i : i + 4] for i in range(0, len(pending.secret), 4)
            ),
        )
    response = render(request, "web/settings/two_factor.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    user = request.user
    if request.method == "GET":
        return _render_settings(request, user, {})
    action = request.POST.get("action")
    try:
        if action == "start":
            two_factor.start_setup(user)
            return redirect(_here(request))
        if action == "cancel":
            two_factor.cancel_setup(user)
            return redirect(_here(request))
        if action == "confirm":
            return _confirm(request, user)
        if action == "regenerate":
            return _regenerate(request, user)
        if action == "disable":
            return _disable(request, user)
    except two_factor.CodeRefused as exc:
        messages.error(request, str(exc))
        return _render_settings(request, user, {}, status=400)
    except RateLimited as exc:
        messages.error(request, str(exc))
        return _render_settings(request, user, {}, status=429)
    messages.error(request, _("Choose a form to send."))
    return _render_settings(request, user, {}, status=400)


def _here(request: HttpRequest) -> str:
    target = safe_next(request, "")
    path = reverse("two_factor_settings")
    return f"{path}?{urlencode({'next': target})}" if target else path


def _confirm(request: HttpRequest, user: User) -> HttpResponse:
    form = ConfirmForm(request.POST, prefix="confirm")
    if form.is_valid():
        try:
            codes = two_factor.confirm_setup(
                user, form.cleaned_data["password"], form.cleaned_data["code"]
            )
        except two_factor.CodeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Two-factor authentication is on."))
            return _codes_page(request, codes)
    return _render_settings(request, user, {"confirm": form}, status=400)


def _regenerate(request: HttpRequest, user: User) -> HttpResponse:
    form = RegenerateForm(request.POST, prefix="regenerate")
    if form.is_valid():
        try:
            codes = two_factor.regenerate_recovery_codes(user, form.cleaned_data["code"])
        except two_factor.CodeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("New recovery codes: the old ones no longer work."))
            return _codes_page(request, codes)
    return _render_settings(request, user, {"regenerate": form}, status=400)


def _disable(request: HttpRequest, user: User) -> HttpResponse:
    form = DisableForm(request.POST, prefix="disable")
    if form.is_valid():
        try:
            two_factor.disable(user, form.cleaned_data["password"], form.cleaned_data["code"])
        except two_factor.CodeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("two_factor_settings")
    return _render_settings(request, user, {"disable": form}, status=400)
