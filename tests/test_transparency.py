"""The transparency report: counts for a period (notices, reports by category, decisions by
action and ground, automated share, appeals and outcomes, median handling time), on the
staff page and as CSV, for staff who may read the audit log."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user
from townsquare.accounts.models import User
from townsquare.moderation import actions, appeals, cases, decisions, transparency
from townsquare.moderation.models import Case, ReportCategory, Statement
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db


def _report(reporter: User, author: User, text: str, category: str) -> Case:
    return actions.report_post(reporter, make_post(author, text).pk, category=category).case


@pytest.fixture
def season() -> dict[str, object]:
    """A season of the chess society's moderation: two reports, one limit, one dismissal,
    one appeal upheld."""
    rowan = make_user("rowan", role="moderator")
    moss = make_user("moss", role="moderator")
    rule = Rule.objects.create(text="Be kind to other players.", position=1)
    ivy, fern = make_user("ivy"), make_user("fern")
    spam = _report(fern, ivy, "Join my other chess club!", ReportCategory.SPAM)
    Case.objects.filter(pk=spam.pk).update(created_at=timezone.now() - timedelta(hours=4))
    other = _report(fern, make_user("oak"), "Blitz tonight at eight.", ReportCategory.OTHER)
    Case.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(hours=2))
    statement = decisions.act_on_case(
        rowan,
        spam.pk,
        action="limit",
        ground="rule",
        rule_id=rule.pk,
        explanation="Advertising another club is not allowed here.",
    )
    cases.dismiss(rowan, other.pk)
    made = appeals.appeal(ivy, statement.pk, "It was a friendly invitation.")
    appeals.decide(moss, made.pk, "upheld", "The rule is clear.")
    return {"statement": statement}


def test_counts_of_the_period(season: dict[str, object]) -> None:
    today = timezone.localdate()
    found = transparency.build(today - timedelta(days=1), today)
    assert found.reports == 2
    assert found.reports_by_category[str(ReportCategory.SPAM.label)] == 1
    assert found.decisions == 1
    assert found.actions["Account limited"] == 1
    assert found.grounds["Against the site's rules"] == 1
    assert found.automated == 0 and found.automated_share == 0.0
    assert found.appeals == 1 and found.appeal_outcomes["Decision upheld"] == 1
    assert found.cases_decided == 2
    assert found.median_hours is not None and 2.9 < found.median_hours < 3.1
    earlier = transparency.build(today - timedelta(days=30), today - timedelta(days=2))
    assert earlier.reports == 0 and earlier.decisions == 0 and earlier.median_hours is None


def test_automated_share(season: dict[str, object]) -> None:
    statement = season["statement"]
    assert isinstance(statement, Statement)
    Statement.objects.filter(pk=statement.pk).update(automated_decision="AUTOMATED_DECISION_FULLY")
    today = timezone.localdate()
    assert transparency.build(today, today).automated_share == 1.0


def test_page_and_csv_for_auditors_only(season: dict[str, object]) -> None:
    assert client_of(make_user("ivy2")).get("/admin/transparency").status_code == 403
    admin = client_of(make_user("sage", role="admin"))
    page = admin.get("/admin/transparency")
    assert page.status_code == 200
    assert 'class="t-reports">2<' in text_of(page)
    assert 'href="/admin/transparency"' in text_of(page)
    today = timezone.localdate().isoformat()
    download = admin.get(f"/admin/transparency.csv?start={today}&end={today}")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(download.content.decode())))
    assert ["reports", "total", "2"] in lines
    assert ["appeals_by_outcome", "Decision upheld", "1"] in lines
    assert admin.get("/admin/transparency?start=2026-05-01&end=2026-01-01").status_code == 400
    assert admin.get("/admin/transparency.csv?start=nonsense").status_code == 400
