"""The embedded mail backend: every message is written to <data dir>/mail and echoed to the console."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.message import EmailMessage


class FolderAndConsoleBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self.folder = FileBackend(fail_silently=fail_silently, **kwargs)
        self.console = ConsoleBackend(fail_silently=fail_silently)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = self.folder.send_messages(email_messages)
        self.console.send_messages(email_messages)
        return sent
