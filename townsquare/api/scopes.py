"""OAuth scopes as Mastodon defines them, and which granted scopes cover a wanted one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

READ = [
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
]
WRITE = [
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
]
# The old `follow` scope: what it grants in current Mastodon.
FOLLOW = [
    "read:blocks",
    "write:blocks",
    "read:follows",
    "write:follows",
    "read:mutes",
    "write:mutes",
]
ADMIN = ["admin:read", "admin:write"]

# What the consent page says each scope allows (in the reader's language).
ALL: dict[str, Any] = {
    "read": _("Read all your account's data"),
    "write": _("Modify all your account's data"),
    "follow": _("Modify account relationships"),
    "push": _("Receive push notifications"),
    "profile": _("Read only your own profile"),
    **{scope: scope.replace(":", ": ") for scope in READ + WRITE + ADMIN},
}


def normalize(text: str | Iterable[str]) -> list[str]:
    """Scopes from a space- or plus-separated string (or a list), known ones only, in order."""
    parts = text.replace("+", " ").split() if isinstance(text, str) else list(text)
    seen: list[str] = []
    for part in parts:
        if part in ALL and part not in seen:
            seen.append(part)
    return seen


def unknown(text: str) -> list[str]:
    return [part for part in text.replace("+", " ").split() if part not in ALL]


def covers(granted: Iterable[str], wanted: str) -> bool:
    """Whether a token with `granted` scopes may do what needs `wanted` (e.g. "read:statuses"
    is covered by "read"; "read:follows" also by the old "follow")."""
    have = set(granted)
    if wanted in have:
        return True
    family = wanted.split(":", 1)[0]
    if ":" in wanted and family in have:
        return True
    if wanted in FOLLOW and "follow" in have:
        return True
    return wanted == "read:accounts" and "profile" in have


def within(requested: Iterable[str], allowed: Iterable[str]) -> bool:
    """Whether every requested scope is within what the app registered."""
    allowed = list(allowed)
    return all(covers(allowed, scope) for scope in requested)
