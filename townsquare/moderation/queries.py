"""Read-side queries for moderation: members' reports, and the moderators' queue of cases."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from townsquare.accounts.models import User
from townsquare.moderation.models import Case, CaseState, Report, ReportCategory, TargetKind


def reports_by(reporter: User) -> QuerySet[Report]:
    """The reports a member made, newest first."""
    return Report.objects.filter(reporter=reporter).order_by("-id")


def open_reports() -> QuerySet[Report]:
    """Reports no moderator has acted on yet, newest first."""
    return Report.objects.filter(action_taken=False).order_by("-id")


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters: "" means any."""

    state: str = CaseState.OPEN
    category: str = ""
    kind: str = ""
    assigned: str = ""  # "me", "none" or ""


def queue(moderator: User, filters: QueueFilter | None = None) -> QuerySet[Case]:
    """The cases, most urgent first (the worst category reported, then the number of
    reports), the oldest first among equals."""
    filters = filters or QueueFilter()
    cases = Case.objects.select_related("account", "assigned_to")
    if filters.state in CaseState.values:
        cases = cases.filter(state=filters.state)
    if filters.category in ReportCategory.values:
        cases = cases.filter(
            Exists(Report.objects.filter(case_id=OuterRef("pk"), category=filters.category))
        )
    if filters.kind in TargetKind.values:
        cases = cases.filter(kind=filters.kind)
    if filters.assigned == "me":
        cases = cases.filter(assigned_to=moderator)
    elif filters.assigned == "none":
        cases = cases.filter(assigned_to__isnull=True)
    return cases.order_by("-priority", "created_at", "id")


def case_reports(case: Case) -> list[Report]:
    """The reports of a case, oldest first, with their reporters."""
    return list(Report.objects.filter(case=case).select_related("reporter").order_by("id"))


@dataclass(frozen=True)
class History:
    """What the moderators knew about an account before: its other cases and reports."""

    cases: list[Case]
    case_count: int
    resolved_count: int
    dismissed_count: int
    report_count: int


def history(account_id: int | None, *, besides: int | None = None, limit: int = 20) -> History:
    """The other cases about an account (newest first) and counts of its reports."""
    if account_id is None:
        return History([], 0, 0, 0, 0)
    cases = Case.objects.filter(account_id=account_id)
    if besides is not None:
        cases = cases.exclude(pk=besides)
    counts = cases.aggregate(
        total=Count("id"),
        resolved=Count("id", filter=Q(state=CaseState.RESOLVED)),
        dismissed=Count("id", filter=Q(state=CaseState.DISMISSED)),
    )
    reports = Report.objects.filter(target_id=account_id)
    if besides is not None:
        reports = reports.exclude(case_id=besides)
    return History(
        list(cases.order_by("-id")[:limit]),
        counts["total"],
        counts["resolved"],
        counts["dismissed"],
        reports.count(),
    )


def case_categories(case_ids: list[int]) -> dict[int, list[str]]:
    """The categories reported in each case, for the queue's list."""
    found: dict[int, list[str]] = {pk: [] for pk in case_ids}
    rows = (
        Report.objects.filter(case_id__in=case_ids)
        .values_list("case_id", "category")
        .distinct()
        .order_by("case_id", "category")
    )
    for case_id, category in rows:
        found[case_id].append(category)
    return found


def moderators() -> list[User]:
    """Members who may handle cases (to assign them), by username."""
    staff = User.objects.filter(is_active=True).exclude(role="member").order_by("username")
    custom = User.objects.filter(is_active=True, role="member", staff_role__isnull=False)
    found = [
        u
        for u in list(staff) + list(custom.select_related("staff_role"))
        if u.can("moderate_content")
    ]
    return sorted(found, key=lambda u: u.username)
