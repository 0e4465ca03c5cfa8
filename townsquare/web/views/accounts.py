"""Sign-up, email confirmation, log in and out, password reset."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.accounts import actions, registration, signup_guard, two_factor
from townsquare.accounts.deletion import DeletionPending
from townsquare.core import altcha
from townsquare.core.ratelimit import RateLimited
from townsquare.site import state as site_state
from townsquare.site.models import RegistrationMode, Rule
from townsquare.web.forms import EmailForm, JoinForm, LoginForm, SetPasswordForm
from townsquare.web.views import data as data_views
from townsquare.web.views import two_factor as two_factor_views
from townsquare.web.views.common import apply_errors, client_ip, safe_next


def _join_form(request: HttpRequest, invite: str) -> JoinForm:
    row = site_state.site_settings()
    asks = registration.mode() == RegistrationMode.APPROVAL and not invite
    return JoinForm(
        request.POST or None,
        initial={"invite": invite},
        question=row.approval_question if asks else "",
        min_age=row.min_age,
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    invite = (request.POST.get("invite") or request.GET.get("invite") or "").strip()[:40]
    context: dict[str, object] = {"rules": Rule.objects.all(), "site": site_state.site_settings()}
    if not registration.accepts_sign_ups(invite):
        problem = registration.invite_status(invite) if invite else None
        context["closed"] = problem or registration.closed_message()
        return render(request, "web/accounts/signup.html", context, status=403)
    form = _join_form(request, invite)
    approval = registration.mode() == RegistrationMode.APPROVAL or (
        registration.mode() == RegistrationMode.OPEN and signup_guard.site_queue_reason()
    )
    proof_of_work = signup_guard.proof_of_work_on()
    context.update(
        form=form,
        approval=approval and not invite,
        guard={
            "honeypot": signup_guard.HONEYPOT_FIELD,
            "stamp_field": signup_guard.STAMP_FIELD,
            "stamp": signup_guard.form_stamp(),
            "min_seconds": signup_guard.MIN_FILL_SECONDS,
            "proof_field": signup_guard.PROOF_FIELD,
            "challenge": json.dumps(altcha.create_challenge()) if proof_of_work else "",
        },
    )
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        try:
            signup_guard.check_form(request.POST, proof_of_work=proof_of_work)
        except ValidationError as exc:
            form.add_error(None, exc)
            try:  # a refused form counts against the address like any attempt
                signup_guard.count_attempt(client_ip(request))
            except RateLimited as limited:
                retry_after = limited.retry_after
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        joining = registration.Joining(
            invite_code=invite,
            answer=data.get("answer", ""),
            accepted_terms=data["agreement"],
            confirmed_age=data.get("age", False),
            language=translation.get_language() or "",  # the language the form was shown in
        )
        try:
            user = registration.sign_up(
                data["username"],
                data["email"],
                data["password"],
                ip=client_ip(request),
                joining=joining,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except RateLimited as exc:
            form.add_error(None, str(exc))
            retry_after = exc.retry_after
        else:
            waiting = registration.pending_application(user.pk) is not None
            return render(
                request, "web/accounts/signup_done.html", {"email": user.email, "waiting": waiting}
            )
    if retry_after:  # too many attempts from this address: 429, and when to come back
        response = render(request, "web/accounts/signup.html", context, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    return render(request, "web/accounts/signup.html", context, status=_status(form))


def _status(form: EmailForm | JoinForm | LoginForm | SetPasswordForm) -> int:
    return 400 if form.is_bound and form.errors else 200


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = actions.confirm_email(token)
    except ValidationError as exc:
        return render(
            request, "web/accounts/confirm_failed.html", {"error": exc.messages[0]}, status=400
        )
    messages.success(
        request, _("Thanks, %(name)s: your email address is confirmed.") % {"name": user.name}
    )
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
        except DeletionPending as pending:  # the right password: it may cancel the deletion
            if two_factor.is_enabled(pending.member):  # after the code
                return two_factor_views.begin_login(request, pending.member, restore=True)
            return data_views.offer_restore(request, pending.member)
        except actions.LoginRefused as exc:
            form.add_error(None, str(exc))
            unconfirmed = exc.unconfirmed
        else:
            if two_factor.is_enabled(user):  # logged in only once the code is right
                return two_factor_views.begin_login(request, user)
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
            {"error": _("This reset link is invalid or has been used. Ask for a new one.")},
            status=400,
        )
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.reset_password(uidb64, token, form.cleaned_data["new_password"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your password is changed. Log in with it now."))
            return redirect("login")
    return render(request, "web/accounts/reset_confirm.html", {"form": form}, status=_status(form))
