"""Deciding about accounts without a case: a moderator's own-initiative decision (warn, limit,
freeze or suspend) on one account from its staff page, or the same decision on many accounts
at once from the members list (a spam wave of new accounts, a ring of sock puppets).

Each account gets what a decision on a case gives it (`decisions`): the enforcement, its own
statement of reasons (source: the site's own initiative), strikes and any step of the ladder
they reach, an audit entry, and the statement by email. Many accounts are decided in ONE
transaction: if any is refused (a rank at or above the moderator's, the moderator's own
account, an account that is gone), nothing is done and the error names it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.moderation import audit, cases, decisions, enforcement, strikes
from townsquare.moderation.models import DecisionAction, Statement

# A decision about an account as a whole (removing or labelling posts needs the posts: a case).
ACTIONS = (
    DecisionAction.WARN,
    DecisionAction.LIMIT,
    DecisionAction.FREEZE,
    DecisionAction.SUSPEND,
)
MAX_ACCOUNTS = 100


def _account_ids(account_ids: Sequence[int]) -> list[int]:
    ids = sorted(set(account_ids))
    if not ids:
        raise ValidationError(_("Choose at least one account."))
    if len(ids) > MAX_ACCOUNTS:
        raise ValidationError(
            _("Choose at most %(count)d accounts at a time.") % {"count": MAX_ACCOUNTS}
        )
    return ids


def _decide(
    moderator: User,
    account: User,
    *,
    action: str,
    span: timedelta | None,
    ground: decisions.Ground,
    severity: int,
) -> list[Statement]:
    enforcement._check(moderator, account)
    records = decisions._enforce(moderator, action, account, [], span, ground.explanation)
    statement = decisions._statement(
        case=None,
        account=account,
        moderator=moderator,
        action=action,
        ground=ground,
        records=records,
        posts=[],
        severity=severity,
    )
    made = [statement]
    step = strikes.add(account, severity, statement)
    audit.record(
        moderator,
        "account.act",
        target=account,
        after={
            "action": action,
            "enforcements": [r.pk for r in records],
            "statement": statement.pk,
            "severity": severity,
        },
    )
    if step is not None:
        made.append(decisions._escalate(moderator, account, step, None, ground))
    return made


def act_on_accounts(
    moderator: User,
    account_ids: Sequence[int],
    *,
    action: str,
    duration: str = "",
    ground: str,
    rule_id: int | None = None,
    legal_ground: str = "",
    explanation: str,
    severity: int = 0,
) -> int:
    """The same decision on each account (all or none); how many accounts were decided."""
    cases._check(moderator)
    if action not in ACTIONS:
        raise ValidationError(
            {"action": _("Choose a decision about the accounts: warn, limit, freeze or suspend.")}
        )
    ids = _account_ids(account_ids)
    span = decisions._check_inputs(action, duration, severity)
    why = decisions.clean_ground(ground, rule_id, legal_ground, explanation)
    made: list[Statement] = []
    with transaction.atomic():
        found = list(
            User.objects.select_for_update().filter(pk__in=ids, is_active=True).order_by("id")
        )
        if len(found) != len(ids):
            raise ValidationError(_("One of the accounts no longer exists."))
        for account in found:
            made += _decide(
                moderator, account, action=action, span=span, ground=why, severity=severity
            )
    for statement in made:
        decisions.email_statement(statement)
    return len(found)
