"""Fixed-window rate limits, counted where every web process sees them: in a database table
embedded, in Redis at scale (the "ratelimit" cache)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import BaseCache, caches
from django.utils.translation import ngettext


def now() -> float:
    """The limits' clock (tests move it by replacing this module's `time`)."""
    return time.time()


def _counters() -> BaseCache:
    return caches["ratelimit"]


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            ngettext(
                "Too many attempts; try again in %(seconds)d second.",
                "Too many attempts; try again in %(seconds)d seconds.",
                retry_after,
            )
            % {"seconds": retry_after}
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int

    def _key(self, subject: str) -> tuple[str, int]:
        window = int(time.time()) // self.seconds
        return f"rl:{self.name}:{subject}:{window}", window

    def _retry_after(self, window: int) -> int:
        return max(1, (window + 1) * self.seconds - int(time.time()))

    def hit(self, subject: str) -> None:
        """Count one attempt by `subject`; raise RateLimited once over the limit."""
        key, window = self._key(subject)
        if _counters().add(key, 1, self.seconds + 1):
            used = 1
        else:
            try:
                used = _counters().incr(key)
            except ValueError:  # expired between add and incr
                _counters().add(key, 1, self.seconds + 1)
                used = 1
        if used > self.count:
            raise RateLimited(self._retry_after(window))

    def check(self, subject: str) -> None:
        """Raise RateLimited if `subject` is already over the limit, without counting."""
        key, window = self._key(subject)
        if (_counters().get(key) or 0) >= self.count:
            raise RateLimited(self._retry_after(window))

    def used(self, subject: str) -> int:
        """How many attempts `subject` made in the current window."""
        return int(_counters().get(self._key(subject)[0]) or 0)

    def reset(self, subject: str) -> None:
        _counters().delete(self._key(subject)[0])


# Failed logins: per account and per client address.
LOGIN_FAILURES_PER_ACCOUNT = Limit("login-account", 10, 15 * 60)  # counted per (account, address)
# Guessing one account from many addresses: a much higher ceiling, so that a stranger's wrong
# guesses from elsewhere cannot lock the owner out.
LOGIN_FAILURES_PER_ACCOUNT_ANYWHERE = Limit("login-account-all", 100, 15 * 60)
LOGIN_FAILURES_PER_IP = Limit("login-ip", 50, 15 * 60)
SIGNUPS_PER_IP = Limit("signup-ip", 10, 60 * 60)
EMAILS_PER_ACCOUNT = Limit("email-account", 5, 60 * 60)
PASSWORD_RESETS_PER_IP = Limit("reset-ip", 10, 60 * 60)
POSTS_PER_ACCOUNT = Limit("post-account", 300, 60 * 60)
# Every other write by a member (deleting, answering requests, ending sessions, passwords).
WRITES_PER_ACCOUNT = Limit("write-account", 1000, 60 * 60)
FOLLOWS_PER_ACCOUNT = Limit("follow-account", 400, 60 * 60)
PROFILE_UPDATES_PER_ACCOUNT = Limit("profile-account", 60, 60 * 60)
# Direct messages: every message, and (tighter, against spam) every new conversation.
MESSAGES_PER_ACCOUNT = Limit("message-account", 600, 60 * 60)
CONVERSATIONS_PER_ACCOUNT = Limit("conversation-account", 60, 60 * 60)
GROUPS_PER_ACCOUNT = Limit("group-account", 10, 60 * 60)
PAGES_PER_ACCOUNT = Limit("page-account", 5, 60 * 60)  # new pages
EVENTS_PER_ACCOUNT = Limit("event-account", 20, 60 * 60)  # new events
# "is typing" signals (pages send one every few seconds while the member types).
TYPING_PER_ACCOUNT = Limit("typing-account", 2000, 60 * 60)
INVITES_PER_ACCOUNT = Limit("invite-account", 50, 24 * 60 * 60)  # new invite links
STAFF_ACTIONS_PER_ACCOUNT = Limit("staff-account", 2000, 60 * 60)  # dashboard changes
# Every write through the API from one address, whoever sends it (apps, scripts): a ceiling
# above what the people behind one address do, under what a script floods.
API_WRITES_PER_IP = Limit("api-write-ip", 3000, 60 * 60)
