"""Staff: the site's outgoing mail (SMTP server, sender) and a test email."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.site import email as site_email
from townsquare.web.operator_forms import MailSettingsForm
from townsquare.web.views.common import apply_errors, permission_required

PERMISSION = site_email.PERMISSION


def _page(
    request: HttpRequest, form: MailSettingsForm, *, status: int = 200, test_error: str = ""
) -> HttpResponse:
    saved = site_email.mail_settings()
    context = {
        "form": form,
        "password_saved": bool(saved.password),
        "dashboard_smtp": saved.smtp,
        "test_error": test_error,
        "test_to": request.user.email,  # type: ignore[union-attr]
    }
    return render(request, "web/staff/email.html", context, status=status)


def _saved_form() -> MailSettingsForm:
    """The form with the saved settings (never the password)."""
    saved = site_email.mail_settings()
    return MailSettingsForm(
        initial={
            "smtp_host": saved.host,
            "smtp_port": saved.port,
            "smtp_security": saved.security,
            "smtp_username": saved.username,
            "email_from": saved.email_from,
        }
    )


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION)
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, _saved_form())
    form = MailSettingsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            site_email.update_mail_settings(
                request.user,  # type: ignore[arg-type]
                host=data["smtp_host"],
                port=data["smtp_port"],
                username=data["smtp_username"],
                security=data["smtp_security"],
                email_from=data["email_from"],
                password=data["smtp_password"] or None,
                forget_password=data["forget_password"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The mail settings are saved."))
            return redirect("staff_email")
    return _page(request, form, status=400)


@require_POST
@permission_required(PERMISSION)
def send_test(request: HttpRequest) -> HttpResponse:
    """Send a test email to the acting admin now and show how it went (the SMTP error, if
    any, on the page)."""
    try:
        used = site_email.send_test_email(request.user)  # type: ignore[arg-type]
    except site_email.TestEmailFailed as exc:
        # The page itself worked: it shows what the mail server said.
        return _page(request, _saved_form(), test_error=str(exc))
    if used.smtp:
        note = _("%(server)s accepted the test email to %(address)s.") % {
            "server": f"{used.host}:{used.effective_port}",
            "address": request.user.email,  # type: ignore[union-attr]
        }
    else:
        note = _(
            "The test email to %(address)s was handed to the mail setup the server was "
            "started with (TOWNSQUARE_EMAIL_URL, or the mail folder when it is not set)."
        ) % {"address": request.user.email}  # type: ignore[union-attr]
    messages.success(request, note)
    return redirect("staff_email")
