"""Who opens a page's live connection: the member of the session cookie, and from which
page (its Origin), so only the site's own pages read a member's live events."""

from __future__ import annotations

from http.cookies import SimpleCookie
from importlib import import_module
from urllib.parse import urlsplit

LIVE_PATH = "/live/events"


def session_key(cookie_header: str | None) -> str | None:
    from django.conf import settings

    if not cookie_header:
        return None
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(cookie_header)
    except Exception:  # a malformed header: no session
        return None
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel is not None and morsel.value else None


class _SessionOnly:
    """What django.contrib.auth.get_user needs of a request."""

    def __init__(self, session: object) -> None:
        self.session = session


def session_member(key: str) -> int | None:
    """The active member signed in with this session (the same checks as every page: an
    ended session, a changed password or a disabled account gives None)."""
    from django.conf import settings
    from django.contrib.auth import get_user

    engine = import_module(settings.SESSION_ENGINE)
    user = get_user(_SessionOnly(engine.SessionStore(key)))  # type: ignore[arg-type]
    if not user.is_authenticated or not user.is_active:
        return None
    return int(user.pk)


def allowed_origin(origin: str | None, host: str | None) -> bool:
    """A page of this site: no Origin (the same origin, behind one address), the same host
    name as the streaming server's (the web server beside it, on another port), or the
    configured base URL's origin."""
    from django.conf import settings

    if not origin:
        return True
    try:
        parsed = urlsplit(origin)
        own_host = urlsplit(f"//{host}").hostname if host else None
    except ValueError:
        return False
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return False
    if own_host and parsed.hostname == own_host:
        return True
    base = urlsplit(settings.BASE_URL)
    return (parsed.scheme, parsed.netloc) == (base.scheme, base.netloc)


def live_url(scheme: str, host: str) -> str:
    """Where a page served at scheme://host opens its live connection: the configured
    streaming address; else, for an address with a port, the streaming server beside the
    web server (the port after it, as `townsquare serve` runs it); else the same address
    (a reverse proxy sends /live/events to the streaming server, as /api/v1/streaming)."""
    from django.conf import settings

    configured = settings.TOWNSQUARE["STREAMING_URL"]
    if configured:
        parts = urlsplit(configured.rstrip("/"))
        web_scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
        return f"{web_scheme}://{parts.netloc}{parts.path}{LIVE_PATH}"
    parts = urlsplit(f"//{host}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        return f"{scheme}://{host}{LIVE_PATH}"
    name = parts.hostname or "localhost"
    name = f"[{name}]" if ":" in name else name
    return f"{scheme}://{name}:{port + 1}{LIVE_PATH}"
