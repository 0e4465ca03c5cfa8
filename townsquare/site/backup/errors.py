"""The one kind of failure a backup or a restore reports to the operator."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class BackupError(Exception):
    """A problem the operator can act on. The message is one line; nothing was overwritten."""


@contextlib.contextmanager
def failing_as(what: str) -> Iterator[None]:
    """An OSError (a full disk, a file that cannot be read) as one line saying what failed."""
    try:
        yield
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        raise BackupError(f"{what} ({exc.strerror or exc}{where})") from None
