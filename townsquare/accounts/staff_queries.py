"""What the staff dashboard reads about members: the searchable list and one member's summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from townsquare.accounts.models import Role, StaffRole, User, UserSession

PAGE_SIZE = 50

# Status filter values.
ACTIVE = "active"
DISABLED = "disabled"  # staff disabled the login
DEACTIVATED = "deactivated"  # applicants waiting, accounts being deleted


@dataclass(frozen=True)
class MemberFilters:
    query: str = ""  # part of the username, the display name or (for some staff) the email
    role: str = ""  # a Role value, "custom" (any custom role) or "role:<id>" (that one)
    status: str = ""  # ACTIVE, DISABLED, DEACTIVATED
    unconfirmed: bool = False  # email not confirmed
    kind: str = ""  # "people" or "pages"
    verified: bool = False


def _filtered(filters: MemberFilters, *, by_email: bool) -> QuerySet[User]:
    rows = User.objects.all()
    query = filters.query.strip().removeprefix("@")
    if query:
        found = Q(username__icontains=query) | Q(display_name__icontains=query)
        if by_email:
            found |= Q(email__icontains=query)
        rows = rows.filter(found)
    if filters.role in Role.values:
        rows = rows.filter(role=filters.role)
    elif filters.role == "custom":
        rows = rows.filter(staff_role__isnull=False)
    elif filters.role.startswith("role:") and filters.role[5:].isdigit():
        rows = rows.filter(staff_role_id=int(filters.role[5:]))
    if filters.status == ACTIVE:
        rows = rows.filter(is_active=True, login_disabled_at__isnull=True)
    elif filters.status == DISABLED:
        rows = rows.filter(login_disabled_at__isnull=False)
    elif filters.status == DEACTIVATED:
        rows = rows.filter(is_active=False)
    if filters.unconfirmed:  # people who have not confirmed (a page has no email of its own)
        rows = rows.filter(email_confirmed=False, is_page=False)
    if filters.kind == "people":
        rows = rows.filter(is_page=False)
    elif filters.kind == "pages":
        rows = rows.filter(is_page=True)
    if filters.verified:
        rows = rows.filter(verified_at__isnull=False)
    return rows


def find_members(
    filters: MemberFilters,
    *,
    max_id: int | None = None,
    limit: int = PAGE_SIZE,
    by_email: bool = True,
) -> list[User]:
    """A page of the members matching `filters`, newest first, cut by id (never OFFSET)."""
    rows = _filtered(filters, by_email=by_email)
    if max_id is not None:
        rows = rows.filter(pk__lt=max_id)
    return list(rows.select_related("staff_role").order_by("-pk")[:limit])


def custom_roles() -> list[StaffRole]:
    return list(StaffRole.objects.order_by("name"))


def role_holders() -> dict[int, int]:
    """How many members hold each custom role, by role id."""
    rows = (
        User.objects.filter(staff_role__isnull=False)
        .values("staff_role_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["staff_role_id"]: row["n"] for row in rows}


@dataclass(frozen=True)
class MemberSummary:
    last_seen: datetime | None
    sessions: int
    posts: int
    followers: int
    following: int
    invited_by: User | None
    deletion: Any  # accounts.AccountDeletion or None
    application: Any  # accounts.Application or None


def member_summary(member: User) -> MemberSummary:
    """What the dashboard shows beside a member's profile: activity and counts."""
    from townsquare.accounts.models import AccountDeletion, Application
    from townsquare.graph.models import Follow
    from townsquare.posts.models import Post

    seen = UserSession.objects.filter(user_id=member.pk).aggregate(
        last=Max("last_seen_at"), sessions=Count("pk")
    )
    invited_by = (
        User.objects.filter(pk=member.invited_by_id).first() if member.invited_by_id else None
    )
    return MemberSummary(
        last_seen=seen["last"],
        sessions=seen["sessions"],
        posts=Post.objects.filter(author_id=member.pk).count(),
        followers=Follow.objects.filter(followee_id=member.pk, follower__is_active=True).count(),
        following=Follow.objects.filter(follower_id=member.pk, followee__is_active=True).count(),
        invited_by=invited_by,
        deletion=AccountDeletion.objects.filter(member_id=member.pk).first(),
        application=Application.objects.filter(user_id=member.pk).first(),
    )
