"""The operator's choices as every request sees them: the feature switches, the site's settings
row, the published announcements not ended yet and the custom emoji in use, read from the
database at most once every `REFRESH_SECONDS` in each process (four short statements), so a
change reaches every web process within that time, and at once in the process that made it
(`forget()`)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from townsquare.site.catalog import FEATURES, OFF_BY_DEFAULT
from townsquare.site.models import FeatureSwitch, SiteSettings

if TYPE_CHECKING:
    from townsquare.site.announcements import Shown
    from townsquare.site.emoji import EmojiSet

REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class State:
    off: frozenset[str]  # the features switched off
    settings: SiteSettings  # shared between requests: never modify it
    announcements: tuple[Shown, ...]  # published, not ended (site.announcements)
    emojis: EmojiSet  # the enabled custom emoji (site.emoji)


_lock = threading.Lock()
_current: dict[str, object] = {"read_at": float("-inf"), "state": None}


def _read() -> State:
    chosen = dict(FeatureSwitch.objects.values_list("name", "enabled"))
    off = frozenset(name for name in FEATURES if not chosen.get(name, name not in OFF_BY_DEFAULT))
    row = SiteSettings.objects.filter(pk=1).first() or SiteSettings(pk=1)
    from townsquare.site import announcements, emoji

    return State(off=off, settings=row, announcements=announcements.load(), emojis=emoji.load())


# Set in a thread whose transaction changed the operator's choices and has not committed:
# what it reads there is not kept for others (the transaction may yet roll back).
_writing = threading.local()


def _in_transaction() -> bool:
    """Inside a transaction of the site's own (not one a test case wraps around a test)."""
    from django.db import connection

    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _uncommitted() -> bool:
    if not getattr(_writing, "active", False):
        return False
    if _in_transaction():
        return True
    _writing.active = False  # the transaction ended without committing: read afresh
    forget()
    return False


def current() -> State:
    if _uncommitted():
        return _read()
    now = time.monotonic()
    state = _current["state"]
    if state is None or now - float(_current["read_at"]) >= REFRESH_SECONDS:  # type: ignore[arg-type]
        state = _read()
        with _lock:
            _current.update(read_at=now, state=state)
    assert isinstance(state, State)
    return state


def forget() -> None:
    """Read again on the next question (after a change in this process)."""
    with _lock:
        _current.update(read_at=float("-inf"), state=None)


def changed() -> None:
    """Call in the transaction that changes a switch, a setting, an announcement or an emoji:
    this thread sees the change at once, and every thread of this process once it commits;
    if it rolls back, nothing read inside it stays cached."""
    from django.db import transaction

    forget()
    if _in_transaction():
        _writing.active = True

        def committed() -> None:
            _writing.active = False
            forget()

        transaction.on_commit(committed)


def reset() -> None:
    """Forget everything, pending changes included (between tests)."""
    _writing.active = False
    forget()


def site_settings() -> SiteSettings:
    return current().settings


def site_name() -> str:
    """The name the operator gave the site (TOWNSQUARE_SITE_NAME until they give one)."""
    from django.conf import settings

    return current().settings.name or settings.SITE_NAME


def contact_email() -> str:
    from django.conf import settings

    return current().settings.contact_email or settings.TOWNSQUARE["CONTACT_EMAIL"]
