"""The write layer of enforcement against a GROUP: the site's moderators limit, freeze or
suspend a group, for a time or until lifted, and lift it (`enforcement.lift` handles group
records too).

The state is kept on the group, where reads find it without another query, with the
convention of accounts (`Group.limited_until`, `frozen_until`, `suspended_until`: in force
while in the future; `enforcement.FOREVER` for "until lifted"), and each action is recorded as
an `Enforcement` row with `group` set. Its `account` is the group's owner when the decision is
made (the person it concerns first; an owner cannot delete their account while they own a
group, so there is always one), or its creator if no owner is found. Account reads
(`enforcement.in_force`, the account's restrictions) leave group records out.

What each state means, decided in one place each:
- limited: out of the group directory (`communities.queries.directory`); its posts are seen by
  its members (and staff who moderate) only, so never on public or tag timelines, in trends
  or search for anyone else (`posts.visibility`);
- frozen: read-only: nobody posts, replies (`posts.actions.publishing._check_group_posting`),
  joins, is invited or let in (`communities.actions.membership`); members still read;
- suspended: read-only too, its pages answer the suspension page to all but staff who
  moderate (`web.views.groups`), and its posts are hidden everywhere (`posts.visibility`).

Permission: `moderate_content` (a group has no staff rank to compare with).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.communities.models import Group, Membership, MembershipState, Role
from townsquare.moderation.enforcement import _check, _clean_reason, _end, latest_ends
from townsquare.moderation.models import Enforcement, EnforcementKind
from townsquare.moderation.models.enforcement import ACCOUNT_KINDS

GROUP_COLUMNS = {
    EnforcementKind.LIMIT: "limited_until",
    EnforcementKind.FREEZE: "frozen_until",
    EnforcementKind.SUSPEND: "suspended_until",
}


def responsible(group: Group) -> User | None:
    """The group's owner (or, without one, its creator while active)."""
    owner = (
        Membership.objects.filter(group=group, role=Role.OWNER, state=MembershipState.MEMBER)
        .select_related("member")
        .first()
    )
    if owner is not None:
        return owner.member
    if group.created_by_id is not None:
        return User.objects.filter(pk=group.created_by_id).first()
    return None


def admins(group: Group) -> list[User]:
    """The group's admins and owner (the people a decision about the group is addressed to)."""
    ids = Membership.objects.filter(
        group=group, state=MembershipState.MEMBER, role__gte=Role.ADMIN
    ).values("member_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def refresh_group(group_id: int) -> dict[str, datetime | None]:
    """Write on the group the end of each restriction in force (from its records)."""
    state = latest_ends(GROUP_COLUMNS, group_id=group_id)
    Group.objects.filter(pk=group_id).update(**state)
    return state


def restrict_group(
    kind: EnforcementKind,
    actor: User,
    group: Group,
    *,
    reason: str = "",
    until: datetime | None = None,
    duration: timedelta | None = None,
) -> Enforcement:
    """Limit, freeze or suspend `group` (see the module's docstring)."""
    if kind not in ACCOUNT_KINDS:
        raise ValidationError(_("A group can be limited, frozen or suspended."))
    _check(actor)
    reason = _clean_reason(reason)
    ends_at = _end(until, duration)
    now = timezone.now()
    if ends_at is not None and ends_at <= now:
        raise ValidationError(_("The end time must be in the future."))
    with transaction.atomic():
        if not Group.objects.select_for_update().filter(pk=group.pk).exists():
            raise ValidationError(_("That group no longer exists."))
        account = responsible(group)
        if account is None:
            raise ValidationError(_("That group has no owner to address the decision to."))
        record = Enforcement.objects.create(
            kind=kind,
            account=account,
            group=group,
            actor=actor,
            reason=reason,
            starts_at=now,
            ends_at=ends_at,
        )
        state = refresh_group(group.pk)
    for column, value in state.items():
        setattr(group, column, value)
    return record


def limit_group(
    actor: User, group: Group, *, reason: str = "", duration: timedelta | None = None
) -> Enforcement:
    return restrict_group(EnforcementKind.LIMIT, actor, group, reason=reason, duration=duration)


def freeze_group(
    actor: User, group: Group, *, reason: str = "", duration: timedelta | None = None
) -> Enforcement:
    return restrict_group(EnforcementKind.FREEZE, actor, group, reason=reason, duration=duration)


def suspend_group(
    actor: User, group: Group, *, reason: str = "", duration: timedelta | None = None
) -> Enforcement:
    return restrict_group(EnforcementKind.SUSPEND, actor, group, reason=reason, duration=duration)


def in_force(group: Group) -> list[Enforcement]:
    """The actions against `group` still in force, newest first."""
    now = timezone.now()
    return list(
        Enforcement.objects.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now), group=group, lifted_at__isnull=True
        ).order_by("-id")
    )
