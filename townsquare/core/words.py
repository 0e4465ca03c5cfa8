"""Small pieces of wording shared by pages and emails, in the active language."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext


def separator() -> str:
    """What goes between the items of a list ("Fern, Basil, Sage")."""
    return pgettext("between the names of a list", ", ")


def listing(parts: Sequence[str]) -> str:
    """`parts` one after the other: 'Fern, Basil, Sage'."""
    return separator().join(parts)


def listing_html(parts: Sequence[SafeString]) -> SafeString:
    """The same for HTML parts (each already escaped, such as links)."""
    return mark_safe(escape(separator()).join(parts))  # noqa: S308 - parts are safe HTML


def number(value: int) -> str:
    """A count as people read it in the active language ('1,234', '1 234', '1.234')."""
    return number_format(value, force_grouping=True)
