"""The operator's look as the layout shows it on every page: theme, colour mode, the inline
custom properties of their colours, logo, favicon, custom CSS link and footer.

Worked out once per change of the settings (the key below holds every value it depends on),
not per request: a page only compares a tuple and reads one cookie."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from townsquare.site import colours, state
from townsquare.site.markdown import to_html
from townsquare.site.models import SiteSettings

MODE_COOKIE = "ts_mode"
MODES = ("system", "light", "dark")
COOKIE_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class Look:
    theme: str
    mode: str  # the site's default colour mode
    style: SafeString  # CSS custom properties of the operator's colours ("" for none)
    logo_url: str
    favicon_url: str
    custom_css_url: str  # "" when there is no custom CSS
    footer_html: SafeString


_lock = threading.Lock()
_cached: dict[str, tuple[tuple[Any, ...], Look]] = {}


def _key(row: SiteSettings) -> tuple[Any, ...]:
    return (
        row.updated_at,
        row.theme,
        row.color_mode,
        row.accent_color,
        row.background_color,
        row.logo,
        row.favicon,
        bool(row.custom_css),
        row.footer_md,
    )


def _build(row: SiteSettings) -> Look:
    theme = row.theme if row.theme in colours.THEMES else colours.DEFAULT_THEME
    version = int(row.updated_at.timestamp() * 1_000_000) if row.updated_at else 0
    return Look(
        theme=theme,
        mode=row.color_mode if row.color_mode in MODES else "system",
        # Only validated #rrggbb values reach the style (colours.theme_style checks again).
        style=mark_safe(colours.theme_style(theme, row.accent_color, row.background_color)),  # noqa: S308
        logo_url=default_storage.url(row.logo) if row.logo else "",
        favicon_url=default_storage.url(row.favicon) if row.favicon else "",
        custom_css_url=f"{reverse('custom_css')}?v={version}" if row.custom_css else "",
        footer_html=mark_safe(to_html(row.footer_md)),  # noqa: S308 - sanitized by to_html
    )


def look() -> Look:
    row = state.site_settings()
    key = _key(row)
    found = _cached.get("look")
    if found is not None and found[0] == key:
        return found[1]
    value = _build(row)
    with _lock:
        _cached["look"] = (key, value)
    return value


def member_mode(request: HttpRequest) -> str:
    """The visitor's own colour mode ("" when they follow the site's)."""
    chosen = request.COOKIES.get(MODE_COOKIE, "")
    return chosen if chosen in MODES else ""


def remember_mode(response: HttpResponse, mode: str) -> None:
    """Keep `mode` as this browser's colour mode ("" or anything else: follow the site)."""
    if mode in MODES:
        response.set_cookie(
            MODE_COOKIE, mode, max_age=COOKIE_SECONDS, samesite="Lax", httponly=True
        )
    else:
        response.delete_cookie(MODE_COOKIE, samesite="Lax")


def layout(request: HttpRequest) -> dict[str, Any]:
    """What base.html needs: `look`, and `color_mode` (the member's choice, or the site's)."""
    current = look()
    return {"look": current, "color_mode": member_mode(request) or current.mode}
