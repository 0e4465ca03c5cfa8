"""The transparency report (DSA articles 15 and 24): for a date range, the notices and
reports received (reports by category), the decisions by action and ground, the share
decided automatically, the appeals and their outcomes and the median time from a case's
creation to its decision. Read-only; shown at `/admin/transparency` with a CSV download."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from townsquare.moderation.models import (
    Appeal,
    AppealState,
    AutomatedDecision,
    Case,
    DecisionAction,
    DecisionGround,
    Notice,
    Report,
    ReportCategory,
    Statement,
)


@dataclass
class TransparencyReport:
    start: date
    end: date
    notices: int = 0
    reports: int = 0
    reports_by_category: dict[str, int] = field(default_factory=dict)
    decisions: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    grounds: dict[str, int] = field(default_factory=dict)
    automated: int = 0
    appeals: int = 0
    appeal_outcomes: dict[str, int] = field(default_factory=dict)
    cases_decided: int = 0
    median_handling: timedelta | None = None

    @property
    def automated_share(self) -> float:
        return self.automated / self.decisions if self.decisions else 0.0

    @property
    def median_hours(self) -> float | None:
        median = self.median_handling
        return median.total_seconds() / 3600 if median is not None else None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start's midnight, the midnight after end) in the current time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _counts(values: list[str], labels: dict[str, str]) -> dict[str, int]:
    found = Counter(values)
    return {label: found.get(value, 0) for value, label in labels.items()}


def build(start: date, end: date) -> TransparencyReport:
    low, high = _bounds(start, end)
    report = TransparencyReport(start=start, end=end)
    report.notices = Notice.objects.filter(created_at__gte=low, created_at__lt=high).count()
    categories = list(
        Report.objects.filter(created_at__gte=low, created_at__lt=high).values_list(
            "category", flat=True
        )
    )
    report.reports = len(categories)
    report.reports_by_category = _counts(
        categories, {c.value: str(c.label) for c in ReportCategory}
    )
    decided = list(
        Statement.objects.filter(application_date__gte=low, application_date__lt=high).values_list(
            "action", "decision_ground", "automated_decision"
        )
    )
    report.decisions = len(decided)
    report.actions = _counts(
        [d[0] for d in decided], {a.value: str(a.label) for a in DecisionAction}
    )
    report.grounds = _counts(
        [d[1] for d in decided], {g.value: str(g.label) for g in DecisionGround}
    )
    report.automated = sum(1 for d in decided if d[2] != AutomatedDecision.NOT_AUTOMATED)
    states = list(
        Appeal.objects.filter(created_at__gte=low, created_at__lt=high).values_list(
            "state", flat=True
        )
    )
    report.appeals = len(states)
    report.appeal_outcomes = _counts(states, {s.value: str(s.label) for s in AppealState})
    spans = [
        resolved - created
        for created, resolved in Case.objects.filter(
            resolved_at__gte=low, resolved_at__lt=high
        ).values_list("created_at", "resolved_at")
        if resolved is not None
    ]
    report.cases_decided = len(spans)
    if spans:
        report.median_handling = timedelta(
            seconds=statistics.median(s.total_seconds() for s in spans)
        )
    return report


def rows(report: TransparencyReport) -> list[tuple[str, str, str]]:
    """(section, item, value) lines of the CSV download (section names are stable keys)."""
    lines: list[tuple[str, str, str]] = [
        ("period", "start", report.start.isoformat()),
        ("period", "end", report.end.isoformat()),
        ("notices", "total", str(report.notices)),
        ("reports", "total", str(report.reports)),
    ]
    lines += [("reports_by_category", k, str(v)) for k, v in report.reports_by_category.items()]
    lines.append(("decisions", "total", str(report.decisions)))
    lines += [("decisions_by_action", k, str(v)) for k, v in report.actions.items()]
    lines += [("decisions_by_ground", k, str(v)) for k, v in report.grounds.items()]
    lines.append(("decisions", "automated", str(report.automated)))
    lines.append(("decisions", "automated_share", f"{report.automated_share:.4f}"))
    lines.append(("appeals", "total", str(report.appeals)))
    lines += [("appeals_by_outcome", k, str(v)) for k, v in report.appeal_outcomes.items()]
    lines.append(("cases", "decided", str(report.cases_decided)))
    hours = report.median_hours
    lines.append(("cases", "median_handling_hours", "" if hours is None else f"{hours:.2f}"))
    return lines
