"""Mastodon's stream names: which bus key each listens to, what it needs, what it shows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

PUBLIC_NAMES = {
    "public",
    "public:media",
    "public:local",
    "public:local:media",
    "public:remote",
    "public:remote:media",
    "hashtag",
    "hashtag:local",
}
TIMELINE_SCOPE = "read:statuses"  # covered by "read"
NOTIFICATION_SCOPE = "read:notifications"

# Server-sent events: the path after /api/v1/streaming, and the stream it opens.
SSE_PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "list": "list",
    "direct": "direct",
}


class StreamError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Stream:
    name: str  # Mastodon's name: "user", "hashtag:local", ...
    label: tuple[str, ...]  # the websocket message's "stream": ("hashtag", "garden")
    key: str  # the bus key: "user:12", "hashtag:local:garden"
    events: frozenset[str] | None = None  # only these events (None: every one)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def resolve(
    name: str,
    params: Mapping[str, str],
    *,
    user_id: int | None,
    allows: Callable[[str], bool],
    owns_list: Callable[[int, int], bool],
) -> Stream:
    """The stream `name` (with `tag`, `list`, `only_media` in `params`) for a caller, or a
    StreamError (400 unknown or incomplete, 401 without a token or the scope it needs)."""
    if name in ("public", "public:local", "public:remote") and _truthy(params.get("only_media")):
        name += ":media"
    if name in PUBLIC_NAMES:
        if name.startswith("hashtag"):
            tag = (params.get("tag") or "").strip().lstrip("#").lower()
            if not tag or any(ch.isspace() for ch in tag):
                raise StreamError(400, "No tag for stream provided")
            return Stream(name, (name, tag), f"{name}:{tag}")
        return Stream(name, (name,), name)
    if name not in ("user", "user:notification", "list", "direct"):
        raise StreamError(400, "Unknown stream type")
    if user_id is None:
        raise StreamError(401, "Missing access token")
    wanted = NOTIFICATION_SCOPE if name == "user:notification" else TIMELINE_SCOPE
    if not allows(wanted):
        raise StreamError(401, "Access token does not have the required scopes")
    if name == "user":
        return Stream(name, (name,), f"user:{user_id}")
    if name == "user:notification":
        return Stream(name, (name,), f"user:notification:{user_id}", frozenset({"notification"}))
    if name == "direct":
        return Stream(name, (name,), f"direct:{user_id}")
    raw = (params.get("list") or "").strip()
    if not raw.isdigit() or not owns_list(user_id, int(raw)):
        raise StreamError(400, "Stream list is not accessible")
    return Stream(name, (name, raw), f"list:{raw}")


def owns_list(user_id: int, list_id: int) -> bool:
    """Whether `list_id` is one of the member's lists."""
    from townsquare.lists.models import MemberList

    return MemberList.objects.filter(pk=list_id, owner_id=user_id).exists()
