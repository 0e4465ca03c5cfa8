"""Which language the site speaks to whom: a member's own choice (User.language), else for a
request the visitor's choice (the language cookie) or their browser's, else the site's default
(SiteSettings.default_language). Emails are written in their recipient's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import trans_real

CODES = frozenset(code for code, _name in settings.LANGUAGES)


def supported_language(code: str | None) -> str | None:
    """`code` when the site speaks it (a code of settings.LANGUAGES), else None."""
    return code if code and code in CODES else None


def language_for(request: HttpRequest) -> str:
    """The language to answer `request` in: the member's own choice, else a visitor's (the
    language cookie), else the browser's (Accept-Language), else the site's default."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        chosen = supported_language(getattr(user, "language", ""))
        if chosen:
            return chosen
    return _from_browser(request) or site_language()


def _from_browser(request: HttpRequest) -> str | None:
    """A visitor's choice (the language cookie), else the first language of their browser's
    Accept-Language that the site speaks (or a variant of it: es-MX is es); None if none."""
    chosen = supported_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if chosen:
        return chosen
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def site_language() -> str:
    """The operator's choice for people whose browser asks for none the site speaks."""
    from townsquare.site import state

    return supported_language(state.site_settings().default_language) or settings.LANGUAGE_CODE


def language_of(member: object) -> str:
    """The language to write to `member` in, away from any request (emails)."""
    return supported_language(getattr(member, "language", "")) or site_language()


@contextmanager
def speaking_to(member: object) -> Iterator[str]:
    """Everything translated inside is in `member`'s language (then as it was before)."""
    code = language_of(member)
    with translation.override(code):
        yield code
