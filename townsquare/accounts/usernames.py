"""Username rules: 1-30 letters, digits and underscores, not only digits, not a reserved word."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")

RESERVED = frozenset(
    [
        "about",
        "account",
        "accounts",
        "admin",
        "administrator",
        "api",
        "app",
        "apps",
        "assets",
        "auth",
        "blog",
        "bookmarks",
        "compose",
        "confirm",
        "dashboard",
        "debug",
        "developer",
        "directory",
        "discover",
        "domain",
        "email",
        "explore",
        "favicon",
        "feed",
        "feeds",
        "follow",
        "followers",
        "following",
        "groups",
        "health",
        "help",
        "home",
        "inbox",
        "instance",
        "invite",
        "invites",
        "login",
        "logout",
        "mail",
        "media",
        "me",
        "messages",
        "moderation",
        "moderator",
        "mod",
        "nodeinfo",
        "notifications",
        "oauth",
        "outbox",
        "pages",
        "password",
        "postmaster",
        "privacy",
        "public",
        "register",
        "reset",
        "root",
        "robots",
        "root",
        "rules",
        "search",
        "security",
        "settings",
        "setup",
        "signup",
        "sitemap",
        "static",
        "status",
        "statuses",
        "support",
        "system",
        "tags",
        "terms",
        "townsquare",
        "user",
        "users",
        "webmaster",
        "well_known",
        "www",
    ]
)


def validate_username(username: str) -> str:
    if not USERNAME_RE.match(username):
        raise ValidationError(
            _("Use 1 to 30 letters, digits or underscores."), code="invalid_username"
        )
    if username.isdigit():
        raise ValidationError(_("A username needs at least one letter."), code="invalid_username")
    if username.lower() in RESERVED:
        raise ValidationError(_("That username is reserved."), code="reserved_username")
    return username
