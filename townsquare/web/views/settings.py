"""A member's own settings: profile, password, email and language, signed-in sessions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.accounts import actions
from townsquare.accounts.languages import language_for
from townsquare.accounts.models import User, UserSession
from townsquare.core.ratelimit import RateLimited
from townsquare.site import features
from townsquare.web.forms import ChangeEmailForm, ChangePasswordForm, ProfileForm
from townsquare.web.language_forms import LanguageForm
from townsquare.web.message_forms import PrivacyForm
from townsquare.web.views.common import apply_errors, parse_id
from townsquare.web.views.languages import remember_language


def _profile_initial(user: User) -> dict[str, object]:
    initial: dict[str, object] = {
        "display_name": user.display_name,
        "bio": user.bio,
        "locked": user.locked,
        "discoverable": user.discoverable,
    }
    for i, field in enumerate(user.fields or []):
        initial[f"field_{i}_name"] = field.get("name", "")
        initial[f"field_{i}_value"] = field.get("value", "")
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def edit_profile(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.update_profile(
                    user,
                    display_name=data["display_name"],
                    bio=data["bio"],
                    fields=form.profile_fields(),
                    locked=data["locked"],
                    discoverable=data["discoverable"],
                    avatar=data["avatar"],
                    header=data["header"],
                    remove_avatar=data["remove_avatar"],
                    remove_header=data["remove_header"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect("edit_profile")
        status = 400
    else:
        form = ProfileForm(initial=_profile_initial(user))
        status = 200
    return render(request, "web/settings/profile.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    user = request.user
    password_form = ChangePasswordForm(prefix="pw")
    email_form = ChangeEmailForm(prefix="em")
    language_form = LanguageForm(
        prefix="lang", browser_option=True, initial={"language": user.language}
    )
    status = 200
    if request.method == "POST" and request.POST.get("form") == "password":
        password_form = ChangePasswordForm(request.POST, prefix="pw")
        if password_form.is_valid():
            try:
                actions.change_password(
                    request,
                    user,
                    password_form.cleaned_data["old_password"],
                    password_form.cleaned_data["new_password"],
                )
            except ValidationError as exc:
                apply_errors(password_form, exc)
            else:
                messages.success(request, _("Password changed. Other browsers were signed out."))
                return redirect("account_settings")
        status = 400
    elif request.method == "POST" and request.POST.get("form") == "email":
        email_form = ChangeEmailForm(request.POST, prefix="em")
        if email_form.is_valid():
            try:
                actions.change_email(
                    user, email_form.cleaned_data["password"], email_form.cleaned_data["email"]
                )
            except ValidationError as exc:
                apply_errors(email_form, exc)
            else:
                messages.info(
                    request,
                    _(
                        "We sent a link to the new address; the change takes effect when you "
                        "open it."
                    ),
                )
                return redirect("account_settings")
        status = 400
    elif request.method == "POST" and request.POST.get("form") == "language":
        language_form = LanguageForm(request.POST, prefix="lang", browser_option=True)
        if language_form.is_valid():
            code = language_form.cleaned_data["language"]
            try:
                actions.set_language(user, code)
            except ValidationError as exc:
                apply_errors(language_form, exc)
            except RateLimited as exc:
                language_form.add_error(None, str(exc))
            else:
                # Spoken from this answer on: the message is in the language just chosen.
                translation.activate(code or language_for(request))
                messages.success(request, _("Your language is saved."))
                response = redirect("account_settings")
                remember_language(response, code)
                return response
        status = 400
    elif request.method == "POST":
        messages.error(request, _("Choose a form to send."))
        status = 400
    context = {
        "password_form": password_form,
        "email_form": email_form,
        "language_form": language_form,
    }
    return render(request, "web/settings/account.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def sessions(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    rows = UserSession.objects.filter(user=request.user).order_by("-last_seen_at")
    context = {"sessions": rows, "current_key": request.session.session_key}
    return render(request, "web/settings/sessions.html", context)


@login_required
@require_POST
def end_sessions(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    keep = request.session.session_key
    session_id = parse_id(request.POST.get("session"))
    if request.POST.get("all"):
        count = actions.end_sessions(request.user, keep=keep)
        messages.success(
            request,
            ngettext(
                "Signed out %(count)d other session.",
                "Signed out %(count)d other sessions.",
                count,
            )
            % {"count": count},
        )
    elif session_id:
        actions.end_sessions(request.user, session_ids=[session_id], keep=keep)
        messages.success(request, _("That session is signed out."))
    return redirect("sessions")


@login_required
@require_http_methods(["GET", "POST"])
def privacy(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    status = 200
    if request.method == "POST":
        form = PrivacyForm(request.POST, friends=features.enabled("friends_mode"))
        if form.is_valid():
            try:
                actions.set_privacy(request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your privacy settings are saved."))
                return redirect("privacy_settings")
        status = 400
    else:
        member = request.user
        form = PrivacyForm(
            initial={
                "message_policy": member.message_policy,
                "connections_visibility": member.connections_visibility,
                "friends_visibility": member.friends_visibility,
                "show_posts_to_visitors": member.show_posts_to_visitors,
            },
            friends=features.enabled("friends_mode"),
        )
    return render(request, "web/settings/privacy.html", {"form": form}, status=status)
