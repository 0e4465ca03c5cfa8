"""Mail goes out through SMTP when TOWNSQUARE_EMAIL_URL names a server, and to the mail
folder (and console) when it does not."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli import Site, assert_ok

SEND_CONFIRMATION = """
from townsquare.accounts import actions
from townsquare.core.jobs import run_pending_jobs
from django.core.management import call_command
call_command("migrate", verbosity=0)
user = actions.create_user("hazel", "hazel@example.org", None)
actions.send_confirmation(user)
print(run_pending_jobs())
"""


class TinySMTPServer:
    """Just enough SMTP on loopback to receive one message and keep what it was sent."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.messages: list[dict[str, str]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(30)
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn, conn.makefile("rb") as incoming:
            conn.sendall(b"220 localhost ready\r\n")
            envelope: dict[str, str] = {}
            while line := incoming.readline():
                command = line.decode().strip()
                verb = command.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    conn.sendall(b"250 localhost\r\n")
                elif verb == "MAIL":
                    envelope["from"] = command
                    conn.sendall(b"250 ok\r\n")
                elif verb == "RCPT":
                    envelope["to"] = command
                    conn.sendall(b"250 ok\r\n")
                elif verb == "DATA":
                    conn.sendall(b"354 go on\r\n")
                    body = []
                    while (data := incoming.readline()) not in (b".\r\n", b""):
                        body.append(data.decode())
                    envelope["data"] = "".join(body)
                    self.messages.append(envelope)
                    envelope = {}
                    conn.sendall(b"250 queued\r\n")
                elif verb == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def smtp_server() -> Iterator[TinySMTPServer]:
    server = TinySMTPServer()
    yield server
    server.close()


def test_confirmation_mail_goes_to_the_configured_smtp_server(
    tmp_path: Path, smtp_server: TinySMTPServer, migrated_database: Path
) -> None:
    site = Site.make(
        tmp_path,
        database=migrated_database,  # a copy: migrating from scratch takes most of the time
        TOWNSQUARE_EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        TOWNSQUARE_EMAIL_FROM="Gardening Club <club@example.org>",
    )
    assert_ok(site.python(SEND_CONFIRMATION))
    smtp_server.thread.join(timeout=10)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert "hazel@example.org" in message["to"]
    assert "club@example.org" in message["from"]
    assert "Subject: Confirm your email" in message["data"]
    assert "/confirm/" in message["data"]
    assert not list((site.data_dir / "mail").glob("*"))  # nothing left in the folder


def test_without_smtp_mail_is_written_to_the_data_dir_and_the_console(
    tmp_path: Path, migrated_database: Path
) -> None:
    site = Site.make(tmp_path, database=migrated_database)
    result = site.python(SEND_CONFIRMATION)
    assert_ok(result)
    written = list((site.data_dir / "mail").glob("*.log"))
    assert len(written) == 1
    text = written[0].read_text()
    assert "To: hazel@example.org" in text and "/confirm/" in text
    assert "/confirm/" in result.stdout  # the console copy
