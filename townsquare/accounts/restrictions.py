"""What a member whom moderators restricted may still do (the restrictions themselves are
written by `moderation.enforcement` and kept on the account: `User.frozen_until`,
`suspended_until`, `limited_until`, each in force while in the future).

A frozen or suspended member reads (and may appeal) but does not write: posting, replying,
editing, sharing, liking, voting, following and messaging raise `AccountRestricted`, a
ValidationError, so a web form shows it as its error and the API answers 422 with it.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from townsquare.accounts.models import User

# An end this far away is "until lifted" (moderation.enforcement.FOREVER).
_UNTIL_LIFTED_YEAR = 9999


class AccountRestricted(ValidationError):
    """The member's account is frozen or suspended: it cannot write."""


def until_text(until: datetime | None) -> str:
    """When a restriction ends, for a message ("" when it lasts until lifted)."""
    if until is None or until.year >= _UNTIL_LIFTED_YEAR:
        return ""
    return str(formats.date_format(until, "DATETIME_FORMAT"))


def restriction_message(member: User) -> str:
    if member.is_suspended:
        return _(
            "Your account is suspended: you can read the decision, appeal and export your data."
        )
    until = until_text(member.frozen_until)
    if until:
        return _(
            "Your account is frozen until %(until)s: you can read and appeal, but not post,"
            " reply, message, follow or react."
        ) % {"until": until}
    return _(
        "Your account is frozen: you can read and appeal, but not post, reply, message,"
        " follow or react."
    )


def check_can_write(member: User) -> None:
    """Refuse (AccountRestricted) when `member` is frozen or suspended."""
    if isinstance(member, User) and (member.is_frozen or member.is_suspended):
        raise AccountRestricted(restriction_message(member))
