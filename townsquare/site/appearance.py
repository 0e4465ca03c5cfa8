"""Checks of the appearance settings (registered into `site.actions.FIELD_CHECKS`), and the
warnings an operator sees after saving them: colours that are hard to read together, custom
CSS that points at other sites. Warnings never stop a save; errors do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from townsquare.core import words
from townsquare.site import checks, colours, css
from townsquare.site.models import ColorMode, SiteSettings, Theme

FOOTER_LENGTH = 2_000
PAGE_LENGTH = 50_000


FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {
    "theme": checks.one_of(Theme),
    "color_mode": checks.one_of(ColorMode),
    "accent_color": colours.parse,
    "background_color": colours.parse,
    "custom_css": checks.text(css.MAX_LENGTH),
    "footer_md": checks.text(FOOTER_LENGTH),
    "about_md": checks.text(PAGE_LENGTH),
    "terms_md": checks.text(PAGE_LENGTH),
    "privacy_md": checks.text(PAGE_LENGTH),
    "rules_md": checks.text(PAGE_LENGTH),
}


def _quoted(items: Sequence[str]) -> str:
    """“a”, “b”: each in the active language's quotation marks."""
    return words.listing(
        [pgettext("a piece of text quoted", "“%(text)s”") % {"text": item} for item in items]
    )


def warnings(row: SiteSettings) -> list[str]:
    """What the operator should know about the saved look (nothing stops it)."""
    found = colours.warnings(row.theme, row.accent_color, row.background_color)
    if row.custom_css:
        removed = css.remote_references(row.custom_css)
        if css.cleaned(row.custom_css)[2]:
            found.append(
                _(
                    "Your custom CSS is not served at all: it refers to other sites in a way "
                    "that could not be removed (%(items)s)."
                )
                % {"items": _quoted(removed[:3])}
            )
        elif removed:
            found.append(
                _(
                    "Custom CSS may not load anything from other sites, so these are left out "
                    "when it is served: %(items)s."
                )
                % {"items": _quoted(removed[:5])}
            )
    return found
