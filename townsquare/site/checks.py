"""Checks of the operator's setting values, shared by every part of the settings (see
`site.actions.FIELD_CHECKS`): each takes the value as typed and returns it cleaned, or raises
ValidationError with a message for the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def one_of(choices: type[Any]) -> Callable[[Any], str]:
    """A value of a model's `choices` (TextChoices)."""

    def check(value: Any) -> str:
        if value not in choices.values:
            raise ValidationError(_("Choose one of the options."))
        return str(value)

    return check


def text(limit: int) -> Callable[[Any], str]:
    """Text (stripped) of at most `limit` characters."""

    def check(value: Any) -> str:
        cleaned = str(value or "").strip()
        if len(cleaned) > limit:
            raise ValidationError(
                ngettext(
                    "At most %(limit)d character (this has %(count)d).",
                    "At most %(limit)d characters (this has %(count)d).",
                    limit,
                )
                % {"limit": limit, "count": len(cleaned)}
            )
        return cleaned

    return check


def whole_number(low: int, high: int) -> Callable[[Any], int]:
    """A whole number from `low` to `high` (empty: `low`)."""

    def check(value: Any) -> int:
        try:
            number = int(str(value if value is not None else "").strip() or low)
        except ValueError:
            raise ValidationError(_("Enter a whole number.")) from None
        if not low <= number <= high:
            raise ValidationError(
                _("Enter a number between %(low)d and %(high)d.") % {"low": low, "high": high}
            )
        return number

    return check
