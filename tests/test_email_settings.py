"""The dashboard's mail settings: the SMTP server saved there carries the next email (sent by
the job worker), the password is never shown again, and the test email reports what the
server said. A tiny SMTP server on 127.0.0.1 stands in for the real one."""

from __future__ import annotations

import base64
import contextlib
import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from tests.conftest import client_of, text_of
from tests.factories import make_user, run_jobs
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.site import email as site_email
from townsquare.site.models import SiteSettings

pytestmark = pytest.mark.django_db

PASSWORD = "compost-heap-42"


@dataclass
class LocalSmtp:
    """Just enough SMTP for smtplib (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT),
    one connection at a time, on a free port of 127.0.0.1."""

    password: str = PASSWORD
    messages: list[email.message.Message] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.listener.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                self._session(conn)

    def _session(self, conn: socket.socket) -> None:
        lines = conn.makefile("rb")

        def say(text: str) -> None:
            conn.sendall(text.encode() + b"\r\n")

        say("220 allotment.test ESMTP")
        while raw := lines.readline():
            command = raw.decode().rstrip("\r\n")
            verb = command[:4].upper()
            if verb == "EHLO":
                say("250-allotment.test")
                say("250-AUTH PLAIN")
                say("250 8BITMIME")
            elif verb == "HELO":
                say("250 allotment.test")
            elif verb == "AUTH":
                _zero, user, password = base64.b64decode(command.split()[2]).decode().split("\0")
                self.logins.append((user, password))
                ok = password == self.password
                say("235 2.7.0 Accepted" if ok else "535 5.7.8 Wrong username or password")
            elif verb == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                body = b""
                while (chunk := lines.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.messages.append(email.message_from_bytes(body))
                say("250 2.0.0 Queued")
            elif verb == "QUIT":
                say("221 2.0.0 Bye")
                return
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                say("250 2.0.0 OK")
            else:
                say("502 5.5.2 Not implemented")


@pytest.fixture
def smtp() -> Iterator[LocalSmtp]:
    server = LocalSmtp()
    yield server
    server.close()


@pytest.fixture
def site_mail(settings: Any) -> None:
    """Mail through the site's backend (tests otherwise use Django's outbox directly), with
    the outbox as the configured fallback."""
    settings.EMAIL_BACKEND = "townsquare.site.email.SiteEmailBackend"
    settings.FALLBACK_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def admin() -> User:
    return make_user("hazel", role="admin")


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def _save(web: Any, **fields: Any) -> Any:
    form = {"smtp_host": "127.0.0.1", "smtp_port": "", "smtp_security": "none",
            "smtp_username": "", "smtp_password": "", "email_from": ""}  # fmt: skip
    form.update({name: str(value) for name, value in fields.items()})
    return web.post("/admin/email", form)


def test_saved_settings_are_used_by_the_next_email(
    site_mail: None, smtp: LocalSmtp, admin: User
) -> None:
    basil, rue = make_user("basil"), make_user("rue")
    account_actions.request_password_reset(basil.email, ip="127.0.0.1")
    run_jobs()
    assert [m.to for m in mail.outbox] == [[basil.email]]  # as configured: no server set yet
    saved = _save(
        client_of(admin),
        smtp_port=smtp.port,
        smtp_username="hazel",
        smtp_password=PASSWORD,
        email_from="Garden Club <hello@garden.example>",
    )
    assert saved.status_code == 302
    account_actions.request_password_reset(rue.email, ip="127.0.0.1")
    run_jobs()  # the job worker sends it, reading the settings as they are now
    assert len(mail.outbox) == 1
    [sent] = smtp.messages
    assert sent["To"] == rue.email and "Reset your" in sent["Subject"]
    assert sent["From"] == "Garden Club <hello@garden.example>"
    assert smtp.logins == [("hazel", PASSWORD)]
    # An empty host hands mail back to the configured backend.
    assert _save(client_of(admin), smtp_host="").status_code == 302
    account_actions.request_password_reset(basil.email, ip="127.0.0.1")
    run_jobs()
    assert len(mail.outbox) == 2 and len(smtp.messages) == 1


def test_the_password_is_never_shown_and_blank_keeps_it(admin: User) -> None:
    web = client_of(admin)
    assert (
        _save(web, smtp_port=2525, smtp_username="hazel", smtp_password=PASSWORD).status_code == 302
    )
    page = text_of(web.get("/admin/email"))
    assert PASSWORD not in page and "A password is saved" in page
    assert 'value="hazel"' in page and 'value="2525"' in page
    # Saved again with the password field left empty: the password stays.
    assert _save(web, smtp_port=2526, smtp_username="hazel").status_code == 302
    row = SiteSettings.objects.get()
    assert (row.smtp_password, row.smtp_port) == (PASSWORD, 2526)
    # A form with an error does not echo the password back either.
    bad = _save(web, smtp_port="99999", smtp_password="a-new-secret-77")
    assert bad.status_code == 400 and "a-new-secret-77" not in text_of(bad)
    assert _save(web, forget_password="on").status_code == 302
    assert SiteSettings.objects.get().smtp_password == ""


def test_the_test_email_reaches_the_server(site_mail: None, smtp: LocalSmtp, admin: User) -> None:
    web = client_of(admin)
    _save(web, smtp_port=smtp.port, smtp_username="hazel", smtp_password=PASSWORD)
    sent = web.post("/admin/email/test", follow=True)
    assert sent.status_code == 200
    assert f"127.0.0.1:{smtp.port} accepted the test email to {admin.email}" in text_of(sent)
    [message] = smtp.messages
    assert message["To"] == admin.email and "Test email from" in message["Subject"]
    assert "the site's mail settings work" in message.get_payload()


def test_without_a_server_the_test_email_goes_as_configured(site_mail: None, admin: User) -> None:
    sent = client_of(admin).post("/admin/email/test", follow=True)
    assert sent.status_code == 200 and "handed to the mail setup" in text_of(sent)
    assert [m.to for m in mail.outbox] == [[admin.email]]


def test_a_wrong_server_shows_the_error_not_a_500(
    site_mail: None, smtp: LocalSmtp, admin: User
) -> None:
    web = client_of(admin)
    _save(web, smtp_port=_closed_port())
    refused = web.post("/admin/email/test")
    assert refused.status_code == 200
    assert "The test email was not sent" in text_of(refused)
    assert "connection refused" in text_of(refused)
    _save(web, smtp_port=smtp.port, smtp_username="hazel", smtp_password="not-the-one")
    wrong = web.post("/admin/email/test")
    assert wrong.status_code == 200
    assert "refused the username or password (535 5.7.8 Wrong username or password)" in text_of(
        wrong
    )
    assert smtp.messages == []


def test_the_email_job_retries_when_the_server_is_down(site_mail: None, admin: User) -> None:
    _save(client_of(admin), smtp_port=_closed_port())
    account_actions.request_password_reset(admin.email, ip="127.0.0.1")
    run_jobs()
    waiting = DBTaskResult.objects.filter(task_path__endswith="send_email", status="READY")
    assert waiting.count() == 1  # tried once, and due again a moment later
    assert waiting.get().args_kwargs["kwargs"] == {"_attempt": 1}


def test_bad_settings_are_form_errors_and_staff_only(admin: User, fern: User) -> None:
    web = client_of(admin)
    bad = _save(web, smtp_host="smtp://mail.example.org", email_from="not an address")
    assert bad.status_code == 400
    assert "without smtp://" in text_of(bad) and "Garden Club &lt;hello@example.org&gt;" in text_of(
        bad
    )
    assert SiteSettings.objects.filter(smtp_host__gt="").count() == 0
    moderator = make_user("sorrel", role="moderator")
    for outsider in (fern, moderator):
        assert client_of(outsider).get("/admin/email").status_code == 403
        assert client_of(outsider).post("/admin/email/test").status_code == 403
        assert _save(client_of(outsider), smtp_port=25).status_code == 403
    with pytest.raises(Exception, match="may not"):
        site_email.send_test_email(fern)
