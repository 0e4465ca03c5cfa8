"""Outgoing mail with the operator's SMTP settings from the dashboard.

`SiteEmailBackend` is Django's EMAIL_BACKEND: each time it sends (in the job worker, through
`accounts.tasks.send_email`, which retries after an SMTP error) it reads the settings row
afresh; with an SMTP host there it sends through that server, otherwise through the backend
TOWNSQUARE_EMAIL_URL configured (`FALLBACK_EMAIL_BACKEND`: SMTP, or the mail folder and the
console). A sender address set on the dashboard replaces TOWNSQUARE_EMAIL_FROM either way.

The password is stored as typed (as TOWNSQUARE_EMAIL_URL holds it) and never shown again: the
form leaves it unchanged when its field is left blank.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.languages import speaking_to
from townsquare.accounts.models import User
from townsquare.site import actions, state
from townsquare.site.models import SiteSettings, SmtpSecurity

PERMISSION = "manage_settings"
USUAL_PORTS = {SmtpSecurity.STARTTLS: 587, SmtpSecurity.SSL: 465, SmtpSecurity.NONE: 25}
SEND_TIMEOUT = 20  # seconds, for the job worker
TEST_TIMEOUT = 10  # seconds, for the test email the operator waits for
DEFAULT_FALLBACK = "townsquare.core.mail.FolderAndConsoleBackend"
_HOST_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]+\]?")


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int | None
    username: str
    password: str
    security: str
    email_from: str

    @property
    def smtp(self) -> bool:
        """Whether the dashboard names an SMTP server (then it replaces TOWNSQUARE_EMAIL_URL)."""
        return bool(self.host)

    @property
    def effective_port(self) -> int:
        return self.port or USUAL_PORTS.get(self.security, 587)  # type: ignore[call-overload]


_FIELDS = ("smtp_host", "smtp_port", "smtp_username", "smtp_password", "smtp_security")


def mail_settings() -> MailSettings:
    """The dashboard's mail settings, read now (one short query: mail is sent by jobs, which
    must use the settings saved a moment ago, whatever process saved them)."""
    row = SiteSettings.objects.filter(pk=1).values(*_FIELDS, "email_from").first() or {}
    return MailSettings(
        host=row.get("smtp_host") or "",
        port=row.get("smtp_port"),
        username=row.get("smtp_username") or "",
        password=row.get("smtp_password") or "",
        security=row.get("smtp_security") or SmtpSecurity.STARTTLS,
        email_from=row.get("email_from") or "",
    )


class SiteEmailBackend(BaseEmailBackend):
    """Django's mail backend: the dashboard's SMTP server when one is set, otherwise the
    configured one (settings read when the first message is sent)."""

    def __init__(self, fail_silently: bool = False, timeout: float | None = None, **kwargs: Any):
        super().__init__(fail_silently=fail_silently)
        self.timeout = timeout
        self.kwargs = kwargs
        self.inner: BaseEmailBackend | None = None
        self.chosen: MailSettings | None = None

    def _backend(self) -> BaseEmailBackend:
        if self.inner is None:
            chosen = self.chosen = mail_settings()
            if chosen.smtp:
                self.inner = SmtpBackend(
                    host=chosen.host,
                    port=chosen.effective_port,
                    username=chosen.username,
                    password=chosen.password,
                    use_tls=chosen.security == SmtpSecurity.STARTTLS,
                    use_ssl=chosen.security == SmtpSecurity.SSL,
                    timeout=self.timeout or SEND_TIMEOUT,
                    fail_silently=self.fail_silently,
                )
            else:
                extra = dict(self.kwargs)
                if self.timeout is not None:
                    extra["timeout"] = self.timeout
                self.inner = get_connection(
                    getattr(settings, "FALLBACK_EMAIL_BACKEND", DEFAULT_FALLBACK),
                    fail_silently=self.fail_silently,
                    **extra,
                )
        return self.inner

    def open(self) -> bool | None:
        return self._backend().open()

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        backend = self._backend()
        sender = self.chosen.email_from if self.chosen is not None else ""
        if sender:
            for message in email_messages:
                if message.from_email == settings.DEFAULT_FROM_EMAIL:
                    message.from_email = sender
        return backend.send_messages(email_messages) or 0


# --- the settings ----------------------------------------------------------------------------


def _host(value: Any) -> str:
    host = str(value or "").strip().lower()
    if host and (len(host) > 253 or not _HOST_RE.fullmatch(host)):
        raise ValidationError(_("Enter a host name such as smtp.example.org (without smtp://)."))
    return host


def _port(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a port number between 1 and 65535.")) from None
    if not 1 <= port <= 65535:
        raise ValidationError(_("Enter a port number between 1 and 65535."))
    return port


def _at_most(limit: int) -> str:
    return ngettext("At most %(limit)d character.", "At most %(limit)d characters.", limit) % {
        "limit": limit
    }


def _limited(limit: int) -> Any:
    def check(value: Any) -> str:
        text = str(value or "").strip()
        if len(text) > limit:
            raise ValidationError(_at_most(limit))
        return text

    return check


def _security(value: Any) -> str:
    if value not in SmtpSecurity.values:
        raise ValidationError(_("Choose one of the options."))
    return str(value)


def _sender(value: Any) -> str:
    """ "" or an address, with or without a name: "Garden Club <hello@garden.example>"."""
    text = str(value or "").strip()
    if not text:
        return ""
    _name, address = parseaddr(text)
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            _("Enter an address, or a name and an address: Garden Club <hello@example.org>.")
        ) from None
    if len(text) > 254 or "\n" in text or "\r" in text:
        raise ValidationError(_at_most(254))
    return text


CHECKS = {
    "smtp_host": _host,
    "smtp_port": _port,
    "smtp_username": _limited(254),
    "smtp_password": lambda value: str(value or ""),
    "smtp_security": _security,
    "email_from": _sender,
}


def register() -> None:
    """Let `site.actions.update_settings` change the mail settings (manage_settings) with
    these checks. Called once, when the app is ready."""
    for name, check in CHECKS.items():
        actions.FIELD_PERMISSIONS[name] = PERMISSION
        actions.FIELD_CHECKS[name] = check


def update_mail_settings(
    actor: User | None,
    *,
    host: str,
    port: int | str | None,
    username: str,
    security: str,
    email_from: str,
    password: str | None = None,
    forget_password: bool = False,
) -> SiteSettings:
    """Save the dashboard's mail settings. The password changes only when one is given (or
    `forget_password`); an empty host hands mail back to TOWNSQUARE_EMAIL_URL. ValidationError
    by field (nothing is saved then)."""
    changes: dict[str, Any] = {
        "smtp_host": host,
        "smtp_port": port,
        "smtp_username": username,
        "smtp_security": security,
        "email_from": email_from,
    }
    if password:
        if len(password) > 500:
            raise ValidationError({"smtp_password": [_at_most(500)]})
        changes["smtp_password"] = password
    elif forget_password:
        changes["smtp_password"] = ""
    return actions.update_settings(actor, **changes)


# --- the test email --------------------------------------------------------------------------


class TestEmailFailed(Exception):
    """The test email could not be sent; the message says why, for the operator."""


def _why(exc: BaseException, chosen: MailSettings | None) -> str:
    where = f"{chosen.host}:{chosen.effective_port}" if chosen and chosen.smtp else ""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _("The mail server refused the username or password (%(detail)s).") % {
            "detail": _smtp_detail(exc)
        }
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _("The mail server refused the recipient address.")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _("The mail server answered with an error: %(detail)s") % {
            "detail": _smtp_detail(exc)
        }
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _("The mail server does not support this (try another security mode): %(e)s") % {
            "e": exc
        }
    if isinstance(exc, socket.gaierror):
        host = chosen.host if chosen and chosen.smtp else "?"
        return _("The host name %(host)s could not be found.") % {"host": host}
    if isinstance(exc, TimeoutError):
        if where:
            return ngettext(
                "No answer from %(where)s within %(seconds)d second.",
                "No answer from %(where)s within %(seconds)d seconds.",
                TEST_TIMEOUT,
            ) % {"where": where, "seconds": TEST_TIMEOUT}
        return ngettext(
            "No answer from the mail server within %(seconds)d second.",
            "No answer from the mail server within %(seconds)d seconds.",
            TEST_TIMEOUT,
        ) % {"seconds": TEST_TIMEOUT}
    if isinstance(exc, ConnectionRefusedError):
        if where:
            return _("Could not connect to %(where)s (connection refused).") % {"where": where}
        return _("Could not connect to the mail server (connection refused).")
    if isinstance(exc, ssl.SSLError):
        return _("The secure connection failed (check the security mode and port): %(e)s") % {
            "e": exc
        }
    return _("Could not send: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}


def _smtp_detail(exc: smtplib.SMTPResponseException) -> str:
    message = exc.smtp_error
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return f"{exc.smtp_code} {text}".strip()


def send_test_email(actor: User) -> MailSettings:
    """Send a test email to `actor` at once, with the settings saved now, and wait for the
    server's answer (TEST_TIMEOUT at most): raises TestEmailFailed saying what went wrong.
    Unlike every other email it is not a job, so the operator sees the outcome on the page;
    it is sent through the same backend the jobs use. Returns the settings it used."""
    if not actor.can(PERMISSION):
        raise PermissionDenied(_("You may not change these settings."))
    connection = SiteEmailBackend(timeout=TEST_TIMEOUT)
    site_name = state.site_name()
    with speaking_to(actor):  # like every email, in its recipient's language
        body = render_to_string(
            "site/email/test.txt",
            {"user": actor, "site_name": site_name, "base_url": settings.BASE_URL},
        )
        subject = _("Test email from %(site)s") % {"site": site_name}
    message = EmailMessage(subject, body, None, [actor.email], connection=connection)
    try:
        message.send()
    except (smtplib.SMTPException, OSError, UnicodeError, ValueError) as exc:
        why = _why(exc, connection.chosen)
        _log_test(actor, connection.chosen, error=why)
        raise TestEmailFailed(why) from exc
    finally:
        connection.close()
    _log_test(actor, connection.chosen, error="")
    return connection.chosen or mail_settings()


def _log_test(actor: User, chosen: MailSettings | None, *, error: str) -> None:
    """The audit log's entry for a test email (sent, or why not; never the password)."""
    from townsquare.moderation import audit

    server = f"{chosen.host}:{chosen.effective_port}" if chosen and chosen.smtp else ""
    outcome: dict[str, Any] = {"to": actor.email, "server": server, "sent": not error}
    if error:
        outcome["error"] = error
    audit.record(actor, "email.test", target=audit.Target("site", "", "email"), after=outcome)
