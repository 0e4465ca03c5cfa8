"""The write layer of graded enforcement: moderators limit, freeze or suspend an account, remove
a post or mark its media sensitive, for a time or until lifted, and lift (undo) any of them.

Each action is recorded as an `Enforcement` row, and its effect is kept where reads find it
without another query: on the account (`User.limited_until`, `frozen_until`,
`suspended_until`: in force while in the future; `FOREVER` for "until lifted") and on the post
(`Post.removed_at`, `Post.sensitive`). A time-limited action expires by itself: every read
compares the time with now, so nothing waits for a job. What each state means on every
surface is decided in `posts.visibility` (limited, suspended, removed) and by
`accounts.restrictions` (frozen, suspended: what the member may still do). Groups are limited,
frozen and suspended the same way (`group_enforcement`); `lift` undoes those too.

Permission: `moderate_content`, and, against an account, a rank above the member's (the rule
of `accounts.staff_actions.may_act_on`: a moderator cannot suspend an admin or another
moderator). Nobody acts on their own account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.accounts.staff_actions import may_act_on
from townsquare.moderation.models import Enforcement, EnforcementKind
from townsquare.posts.models import Post

# "Until lifted": a time no read reaches (one comparison answers "in force?" either way).
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
MAX_REASON_LENGTH = 5000
PERMISSION = "moderate_content"

_ACCOUNT_COLUMNS = {
    EnforcementKind.LIMIT: "limited_until",
    EnforcementKind.FREEZE: "frozen_until",
    EnforcementKind.SUSPEND: "suspended_until",
}


def _check(actor: User, account: User | None = None) -> None:
    if not actor.can(PERMISSION):
        raise PermissionDenied(_("You do not have the permission to do that."))
    if account is None:
        return
    if account.pk == actor.pk:
        raise PermissionDenied(_("You cannot do that to your own account."))
    if not may_act_on(actor, account):
        raise PermissionDenied(
            _("@%(name)s has a role at or above yours: ask an admin.") % {"name": account.username}
        )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(
            _("The reason is too long (at most %(count)d characters).")
            % {"count": MAX_REASON_LENGTH}
        )
    return reason


def _end(until: datetime | None, duration: timedelta | None) -> datetime | None:
    """The end of an action: `until`, or now + `duration`, or None (until lifted)."""
    if until is not None and duration is not None:
        raise ValidationError(_("Give either an end time or a duration, not both."))
    if duration is not None:
        if duration <= timedelta(0):
            raise ValidationError(_("The duration must be longer than zero."))
        return timezone.now() + duration
    if until is not None and timezone.is_naive(until):
        raise ValidationError(_("The end time needs a time zone."))
    return until


def latest_ends(
    columns: dict[EnforcementKind, str], **records: object
) -> dict[str, datetime | None]:
    """For each kind of restriction (`columns`: kind -> the column keeping its end), when the
    last of the records matching `records` that is in force ends (FOREVER: until lifted), or
    None when none is in force."""
    now = timezone.now()
    in_force = Enforcement.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now),
        kind__in=list(columns),
        lifted_at__isnull=True,
        **records,
    )
    state: dict[str, datetime | None] = dict.fromkeys(columns.values())
    for kind, ends_at in in_force.values_list("kind", "ends_at"):
        column = columns[EnforcementKind(kind)]
        end = FOREVER if ends_at is None else ends_at
        current = state[column]
        state[column] = end if current is None else max(current, end)
    return state


def _refresh_account(account_id: int) -> dict[str, datetime | None]:
    """Write on the account the end of each restriction in force (from its records); a
    group's record names its owner but restricts the group, not them."""
    state = latest_ends(_ACCOUNT_COLUMNS, account_id=account_id, group__isnull=True)
    User.objects.filter(pk=account_id).update(**state)
    return state


def _restrict(
    kind: EnforcementKind,
    actor: User | None,
    account: User,
    *,
    reason: str,
    until: datetime | None,
    duration: timedelta | None,
) -> Enforcement:
    if actor is not None:  # None: the site itself (`system_limit`)
        _check(actor, account)
    reason = _clean_reason(reason)
    ends_at = _end(until, duration)
    now = timezone.now()
    if ends_at is not None and ends_at <= now:
        raise ValidationError(_("The end time must be in the future."))
    with transaction.atomic():
        if not User.objects.select_for_update().filter(pk=account.pk, is_active=True).exists():
            raise ValidationError(_("That account no longer exists."))
        record = Enforcement.objects.create(
            kind=kind, account=account, actor=actor, reason=reason, starts_at=now, ends_at=ends_at
        )
        state = _refresh_account(account.pk)
    for column, value in state.items():
        setattr(account, column, value)
    return record


def limit_account(
    actor: User,
    account: User,
    *,
    reason: str = "",
    until: datetime | None = None,
    duration: timedelta | None = None,
) -> Enforcement:
    """Limit `account`: its posts are seen only by its followers (and itself and staff), never
    on public and hashtag timelines, in search or trends for anyone else."""
    return _restrict(
        EnforcementKind.LIMIT, actor, account, reason=reason, until=until, duration=duration
    )


def system_limit(account: User, *, reason: str, duration: timedelta) -> Enforcement:
    """The site itself limits `account` (an operator's content rule caught it): recorded with
    no actor. Callers are the site's own automated checks, never a member's request."""
    return _restrict(
        EnforcementKind.LIMIT, None, account, reason=reason, until=None, duration=duration
    )


def system_mark_sensitive(post: Post, reason: str) -> Enforcement:
    """The site itself marks `post` sensitive (a content rule caught it), with no actor."""
    with transaction.atomic():
        record = Enforcement.objects.create(
            kind=EnforcementKind.SENSITIVE,
            account_id=post.author_id,
            post_id=post.pk,
            actor=None,
            reason=_clean_reason(reason),
            was_sensitive=post.sensitive,
        )
        Post.objects.filter(pk=post.pk).update(sensitive=True)
        post.sensitive = True
    return record


def freeze_account(
    actor: User,
    account: User,
    *,
    reason: str = "",
    until: datetime | None = None,
    duration: timedelta | None = None,
) -> Enforcement:
    """Freeze `account`: it reads (and may appeal) but cannot post, reply, message, follow or
    react."""
    return _restrict(
        EnforcementKind.FREEZE, actor, account, reason=reason, until=until, duration=duration
    )


def suspend_account(
    actor: User,
    account: User,
    *,
    reason: str = "",
    until: datetime | None = None,
    duration: timedelta | None = None,
) -> Enforcement:
    """Suspend `account`: its profile answers the suspension page and its posts are hidden
    everywhere; the member may log in only to read the statement, appeal and export data."""
    return _restrict(
        EnforcementKind.SUSPEND, actor, account, reason=reason, until=until, duration=duration
    )


def remove_post(actor: User, post: Post, reason: str = "") -> Enforcement:
    """A moderator removes `post` (unlike the author deleting it, the post is kept, hidden
    everywhere, and comes back when the removal is lifted)."""
    _check(actor)
    reason = _clean_reason(reason)
    with transaction.atomic():
        fresh = Post.objects.select_for_update().filter(pk=post.pk).first()
        if fresh is None:
            raise ValidationError(_("That post no longer exists."))
        now = timezone.now()
        record = Enforcement.objects.create(
            kind=EnforcementKind.REMOVE,
            account_id=fresh.author_id,
            post_id=fresh.pk,
            actor=actor,
            reason=reason,
            starts_at=now,
        )
        if fresh.removed_at is None:
            Post.objects.filter(pk=fresh.pk).update(removed_at=now)
            post.removed_at = now
            _publishing().adjust_parent_counts(fresh, -1)  # no longer a reply or share shown
    return record


def _publishing() -> Any:
    from townsquare.posts.actions import publishing  # posts' write layer imports ours

    return publishing


def mark_sensitive(actor: User, post: Post, reason: str = "") -> Enforcement:
    """A moderator marks `post`'s media sensitive (hidden until clicked)."""
    _check(actor)
    reason = _clean_reason(reason)
    with transaction.atomic():
        fresh = Post.objects.select_for_update().filter(pk=post.pk).first()
        if fresh is None:
            raise ValidationError(_("That post no longer exists."))
        record = Enforcement.objects.create(
            kind=EnforcementKind.SENSITIVE,
            account_id=fresh.author_id,
            post_id=fresh.pk,
            actor=actor,
            reason=reason,
            was_sensitive=fresh.sensitive,
        )
        Post.objects.filter(pk=fresh.pk).update(sensitive=True)
        post.sensitive = True
    return record


def lift(actor: User, enforcement: Enforcement) -> Enforcement:
    """Undo `enforcement` (at once, whether or not it was time-limited): the account or the
    post is as the other records still in force leave it."""
    on_account = enforcement.kind in _ACCOUNT_COLUMNS and enforcement.group_id is None
    account = User.objects.filter(pk=enforcement.account_id).first() if on_account else None
    _check(actor, account)
    with transaction.atomic():
        record = Enforcement.objects.select_for_update().filter(pk=enforcement.pk).first()
        if record is None or record.lifted_at is not None:
            raise ValidationError(_("That action was already lifted."))
        record.lifted_at = timezone.now()
        record.lifted_by = actor
        record.save(update_fields=["lifted_at", "lifted_by"])
        if record.group_id is not None:
            from townsquare.moderation.group_enforcement import refresh_group

            refresh_group(record.group_id)
        elif record.kind in _ACCOUNT_COLUMNS:
            _refresh_account(record.account_id)
        else:
            _undo_on_post(record)
    enforcement.lifted_at, enforcement.lifted_by = record.lifted_at, actor
    return record


def _undo_on_post(record: Enforcement) -> None:
    post_id = record.post_id
    if post_id is None:
        return
    others = Enforcement.objects.filter(
        post_id=post_id, kind=record.kind, lifted_at__isnull=True
    ).exclude(pk=record.pk)
    if others.exists():  # another removal (or marking) of the post still stands
        return
    if record.kind == EnforcementKind.REMOVE:
        post = Post.objects.select_for_update().filter(pk=post_id).first()
        if post is not None and post.removed_at is not None:
            Post.objects.filter(pk=post_id).update(removed_at=None)
            _publishing().adjust_parent_counts(post, +1)
    elif not record.was_sensitive:
        Post.objects.filter(pk=post_id).update(sensitive=False)


def in_force(account: User) -> list[Enforcement]:
    """The actions against `account` (and its posts) still in force, newest first (not those
    against a group it owns: `group_enforcement.in_force`)."""
    now = timezone.now()
    return list(
        Enforcement.objects.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
            account=account,
            group__isnull=True,
            lifted_at__isnull=True,
        ).order_by("-id")
    )
