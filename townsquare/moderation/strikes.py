"""Strikes and the operator's ladder: a decision of severity N adds N strikes to the account;
strikes count for `StrikePolicy.expiry_days` (default a year); when an account's active
strikes reach a step of the ladder, `moderation.decisions` applies that step's action by
itself (with its own statement, marked as an automated decision).

The ladder is edited at /admin/moderation/ladder (permission `manage_settings`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.moderation import audit
from townsquare.moderation.models import Statement, StepAction, Strike, StrikePolicy, StrikeStep

PERMISSION = "manage_settings"
DEFAULT_EXPIRY_DAYS = 365
MAX_STEPS = 20
MAX_STRIKES = 100
MAX_DAYS = 3650
MAX_EXPIRY_DAYS = 3650


def expiry_days() -> int:
    found = StrikePolicy.objects.filter(pk=1).values_list("expiry_days", flat=True).first()
    return DEFAULT_EXPIRY_DAYS if found is None else found


def ladder() -> list[StrikeStep]:
    return list(StrikeStep.objects.order_by("strikes"))


def active_points(account_id: int, now: datetime | None = None) -> int:
    now = now or timezone.now()
    total = Strike.objects.filter(account_id=account_id, expires_at__gt=now).aggregate(
        total=Sum("points")
    )["total"]
    return int(total or 0)


def active_strikes(account_id: int) -> list[Strike]:
    """The account's strikes still counting, newest first (for the case page)."""
    return list(
        Strike.objects.filter(account_id=account_id, expires_at__gt=timezone.now()).order_by(
            "-created_at"
        )
    )


def add(account: User, points: int, statement: Statement | None) -> StrikeStep | None:
    """Add `points` strikes (call inside the decision's transaction, the account locked);
    the highest step of the ladder this crossed, if any."""
    if points <= 0:
        return None
    now = timezone.now()
    before = active_points(account.pk, now)
    Strike.objects.create(
        account=account,
        statement=statement,
        points=points,
        created_at=now,
        expires_at=now + timedelta(days=expiry_days()),
    )
    after = before + points
    crossed = [step for step in ladder() if before < step.strikes <= after]
    return crossed[-1] if crossed else None


# --- editing the ladder ----------------------------------------------------------------------


@dataclass(frozen=True)
class StepInput:
    strikes: int
    action: str
    duration_days: int | None


def save_ladder(actor: User, steps: Sequence[StepInput], expiry: int) -> list[StrikeStep]:
    """Replace the ladder with `steps` and strikes' lifetime with `expiry` days."""
    if not actor.is_authenticated or not actor.can(PERMISSION):
        raise PermissionDenied(_("You do not have the permission to do that."))
    if not 1 <= expiry <= MAX_EXPIRY_DAYS:
        raise ValidationError(
            _("Strikes count for 1 to %(count)d days.") % {"count": MAX_EXPIRY_DAYS}
        )
    if len(steps) > MAX_STEPS:
        raise ValidationError(_("The ladder has at most %(count)d steps.") % {"count": MAX_STEPS})
    seen: set[int] = set()
    for step in steps:
        if not 1 <= step.strikes <= MAX_STRIKES:
            raise ValidationError(
                _("A step is reached at 1 to %(count)d strikes.") % {"count": MAX_STRIKES}
            )
        if step.strikes in seen:
            raise ValidationError(_("Two steps cannot have the same number of strikes."))
        seen.add(step.strikes)
        if step.action not in StepAction.values:
            raise ValidationError(_("Choose an action for each step."))
        if step.duration_days is not None and not 1 <= step.duration_days <= MAX_DAYS:
            raise ValidationError(
                _("A step lasts 1 to %(count)d days, or until lifted.") % {"count": MAX_DAYS}
            )
    with transaction.atomic():
        old = [(s.strikes, s.action, s.duration_days) for s in ladder()]
        old_expiry = expiry_days()
        StrikeStep.objects.all().delete()
        made = [
            StrikeStep.objects.create(
                strikes=step.strikes,
                action=step.action,
                duration_days=None if step.action == StepAction.WARN else step.duration_days,
            )
            for step in sorted(steps, key=lambda s: s.strikes)
        ]
        StrikePolicy.objects.update_or_create(pk=1, defaults={"expiry_days": expiry})
        audit.record(
            actor,
            "strikes.ladder",
            target=audit.Target("strikes", "", "ladder"),
            before={"steps": [list(s) for s in old], "expiry_days": old_expiry},
            after={
                "steps": [[s.strikes, s.action, s.duration_days] for s in made],
                "expiry_days": expiry,
            },
        )
    return made
