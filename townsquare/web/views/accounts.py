"""Sign-up, email confirmation, log in and out, password reset."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.accounts import actions
from townsquare.core.ratelimit import RateLimited
from townsquare.web.forms import EmailForm, LoginForm, SetPasswordForm, SignUpForm
from townsquare.web.views.common import apply_errors, client_ip, safe_next


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    if not actions.registrations_open():
        return render(
            request,
            "web/accounts/signup.html",
            {"closed": actions.SIGNUPS_CLOSED},
            status=403,
        )
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.sign_up(
                form.cleaned_data["username"],
                form.cleaned_data["email"],
                form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "web/accounts/signup_done.html", {"email": user.email})
    return render(request, "web/accounts/signup.html", {"form": form}, status=_status(form))


def _status(form: EmailForm | SignUpForm | LoginForm | SetPasswordForm) -> int:
    return 400 if form.is_bound and form.errors else 200


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = actions.confirm_email(token)
    except ValidationError as exc:
        return render(
            request, "web/accounts/confirm_failed.html", {"error": exc.messages[0]}, status=400
        )
    messages.success(request, f"Thanks, {user.name}: your email address is confirmed.")
    return redirect("home" if request.user.is_authenticated else "login")


@require_http_methods(["GET", "POST"])
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.resend_confirmation(form.cleaned_data["email"])
        return render(
            request, "web/accounts/signup_done.html", {"email": form.cleaned_data["email"]}
        )
    return render(request, "web/accounts/resend.html", {"form": form}, status=_status(form))


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(safe_next(request, "/"))
    form = LoginForm(request.POST or None)
    unconfirmed = False
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.authenticate_member(
                request, form.cleaned_data["login"], form.cleaned_data["password"]
            )
        except actions.LoginRefused as exc:
            form.add_error(None, str(exc))
            unconfirmed = "confirm" in str(exc)
        else:
            actions.log_in(request, user)
            return redirect(safe_next(request, "/"))
    context = {"form": form, "next": safe_next(request, ""), "unconfirmed": unconfirmed}
    return render(request, "web/accounts/login.html", context, status=_status(form))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    actions.log_out(request)
    return redirect("home")


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.request_password_reset(form.cleaned_data["email"], ip=client_ip(request))
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "web/accounts/reset_sent.html")
    return render(request, "web/accounts/reset.html", {"form": form}, status=_status(form))


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    if actions.user_for_reset_link(uidb64, token) is None:
        return render(
            request,
            "web/accounts/confirm_failed.html",
            {"error": "This reset link is invalid or has been used. Ask for a new one."},
            status=400,
        )
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.reset_password(uidb64, token, form.cleaned_data["new_password"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Your password is changed. Log in with it now.")
            return redirect("login")
    return render(request, "web/accounts/reset_confirm.html", {"form": form}, status=_status(form))
