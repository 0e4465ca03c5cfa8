"""The settings against spam sign-ups (see townsquare.accounts.signup_guard): how each value
is checked, and who may change it (merged into `site.actions.FIELD_CHECKS`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_IDLE_DAYS = 365
MAX_BURST = 100_000


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ValidationError(_("Choose yes or no."))


def _between(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        try:
            number = int(str(value if value is not None else "").strip() or 0)
        except ValueError:
            raise ValidationError(_("Enter a whole number.")) from None
        if not low <= number <= high:
            raise ValidationError(
                _("Enter a number between %(low)d and %(high)d.") % {"low": low, "high": high}
            )
        return number

    return check


FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {
    "signup_proof_of_work": _yes_no,
    "approval_when_staff_idle_days": _between(0, MAX_IDLE_DAYS),
    "signup_burst_per_hour": _between(0, MAX_BURST),
}
FIELD_PERMISSIONS: dict[str, str] = dict.fromkeys(FIELD_CHECKS, "manage_settings")
