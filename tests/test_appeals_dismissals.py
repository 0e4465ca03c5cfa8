"""Appeals of dismissals (DSA article 20): the members who reported a dismissed case appeal it
for six months, from their reports page; another moderator reviews it; reversing reopens
the case in the queue (recording who reversed it), upholding leaves it closed; the appellant
is told the outcome by email and on their report's page; everything is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.moderation import actions, appeals, cases, decisions
from townsquare.moderation.models import (
    Appeal,
    AppealState,
    AuditEntry,
    Case,
    CaseNote,
    CaseState,
    Report,
    ReportCategory,
)
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def rowan() -> User:
    """The chess society's moderator who dismissed the case."""
    return make_user("rowan", role="moderator")


@pytest.fixture
def moss() -> User:
    return make_user("moss", role="moderator")


def _dismissed(moderator: User) -> tuple[Case, Report]:
    knight = make_user("knight")
    post = make_post(knight, "Our club plays the Sicilian every Tuesday evening.")
    report = actions.report_post(make_user("bishop"), post.pk, category=ReportCategory.SPAM)
    assert report.case is not None
    cases.dismiss(moderator, report.case.pk, "A club announcement, not spam.")
    report.refresh_from_db()
    assert report.case is not None
    return report.case, report


def test_a_reporter_appeals_a_dismissal_once(rowan: User) -> None:
    case, report = _dismissed(rowan)
    bishop = report.reporter
    assert bishop is not None
    made = appeals.appeal_dismissal(bishop, case.pk, "The same text is posted every hour.")
    assert made.case_id == case.pk and made.statement_id is None
    assert made.role == "reporter" and made.state == AppealState.OPEN
    entry = AuditEntry.objects.get(action="appeal.create", target_id=str(made.pk))
    assert entry.after["case"] == case.pk
    with pytest.raises(ValidationError):
        appeals.appeal_dismissal(bishop, case.pk, "Again, please.")
    with pytest.raises(PermissionDenied):
        appeals.appeal_dismissal(make_user("rook"), case.pk, "I was not involved.")
    with pytest.raises(PermissionDenied):  # the author has nothing to appeal
        appeals.appeal_dismissal(User.objects.get(username="knight"), case.pk, "Thanks.")


def test_bad_input_is_refused(rowan: User) -> None:
    case, report = _dismissed(rowan)
    bishop = report.reporter
    assert bishop is not None
    with pytest.raises(ValidationError):
        appeals.appeal_dismissal(bishop, case.pk, "   ")
    with pytest.raises(ValidationError):
        appeals.appeal_dismissal(bishop, case.pk, "x" * (appeals.MAX_TEXT + 1))
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(days=190))
    with pytest.raises(ValidationError):
        appeals.appeal_dismissal(bishop, case.pk, "Please look again.")
    assert not Appeal.objects.exists()


def test_an_open_case_or_one_acted_on_is_not_appealed_as_a_dismissal(rowan: User) -> None:
    knight = make_user("knight")
    post = make_post(knight, "Chess puzzles for beginners every Sunday.")
    bishop = make_user("bishop")
    report = actions.report_post(bishop, post.pk, category=ReportCategory.SPAM)
    assert report.case is not None
    with pytest.raises(PermissionDenied):
        appeals.appeal_dismissal(bishop, report.case.pk, "Still open.")
    rule = Rule.objects.create(text="Be kind to other players.", position=1)
    decisions.act_on_case(
        rowan, report.case.pk, action="warn", ground="rule", rule_id=rule.pk, explanation="Hmm."
    )
    with pytest.raises(PermissionDenied):  # appealed through its statement instead
        appeals.appeal_dismissal(bishop, report.case.pk, "Too light.")


def test_exactly_one_decision_per_appeal_is_kept_by_the_database(rowan: User) -> None:
    case, report = _dismissed(rowan)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(appellant=report.reporter, role="reporter", text="Neither.")
    assert case.pk


def test_the_moderator_who_dismissed_reviews_only_when_alone(rowan: User) -> None:
    case, report = _dismissed(rowan)
    made = appeals.appeal_dismissal(report.reporter, case.pk, "Please look again.")  # type: ignore[arg-type]
    moss = make_user("moss", role="moderator")
    with pytest.raises(PermissionDenied):
        appeals.decide(rowan, made.pk, "upheld", "It is an announcement.")
    User.objects.filter(pk=moss.pk).update(is_active=False)
    decided = appeals.decide(rowan, made.pk, "upheld", "It is an announcement.")
    assert decided.state == AppealState.UPHELD


def test_reversing_reopens_the_case_and_records_who(rowan: User, moss: User) -> None:
    case, report = _dismissed(rowan)
    bishop = report.reporter
    assert bishop is not None
    made = appeals.appeal_dismissal(bishop, case.pk, "The same text is posted every hour.")
    run_jobs()
    mail.outbox.clear()
    appeals.decide(moss, made.pk, "reversed", "You are right: it repeats hourly.")
    case.refresh_from_db()
    report.refresh_from_db()
    assert case.state == CaseState.OPEN and case.resolved_by_id is None
    assert case.reopened_by_id == moss.pk and case.reopened_at is not None
    assert not report.action_taken
    assert CaseNote.objects.filter(case=case, author=moss, text__contains="repeats").exists()
    entry = AuditEntry.objects.get(action="appeal.decide", target_id=str(made.pk))
    assert entry.after["state"] == "reversed" and entry.after["reopened"] == case.pk
    run_jobs()
    [email] = [m for m in mail.outbox if m.to == [bishop.email]]
    assert "reversed" in email.body and "repeats hourly" in email.body
    assert "/reports" in email.body
    # The case is decided anew, by anyone.
    cases.dismiss(rowan, case.pk, "Checked again: still fine.")
    assert Case.objects.get(pk=case.pk).state == CaseState.DISMISSED


def test_reversing_joins_a_newer_open_case_of_the_same_post(rowan: User, moss: User) -> None:
    case, report = _dismissed(rowan)
    made = appeals.appeal_dismissal(report.reporter, case.pk, "Please look again.")  # type: ignore[arg-type]
    newer = actions.report_post(make_user("queen"), case.target_id, category=ReportCategory.SPAM)
    assert newer.case is not None and newer.case.pk != case.pk
    appeals.decide(moss, made.pk, "reversed", "Looking again together with the new report.")
    report.refresh_from_db()
    assert report.case_id == newer.case.pk and not report.action_taken
    assert Case.objects.get(pk=newer.case.pk).report_count == 2
    assert Case.objects.get(pk=case.pk).reopened_by_id == moss.pk


def test_upholding_leaves_the_case_closed(rowan: User, moss: User) -> None:
    case, report = _dismissed(rowan)
    made = appeals.appeal_dismissal(report.reporter, case.pk, "Please look again.")  # type: ignore[arg-type]
    appeals.decide(moss, made.pk, "upheld", "It is a club announcement.")
    case.refresh_from_db()
    assert case.state == CaseState.DISMISSED and case.reopened_by_id is None


def test_a_reporter_finds_the_dismissal_and_appeals_in_the_browser(rowan: User, moss: User) -> None:
    case, report = _dismissed(rowan)
    bishop = report.reporter
    assert bishop is not None
    browser = client_of(bishop)
    listing = browser.get("/reports")
    assert listing.status_code == 200 and f'href="/reports/{report.pk}"' in text_of(listing)
    page = browser.get(f"/reports/{report.pk}")
    assert page.status_code == 200
    assert "took no action" in text_of(page) and "Send the appeal" in text_of(page)
    empty = browser.post(f"/reports/{report.pk}/appeal", {"text": ""})
    assert empty.status_code == 400
    long = browser.post(f"/reports/{report.pk}/appeal", {"text": "x" * (appeals.MAX_TEXT + 1)})
    assert long.status_code == 400
    sent = browser.post(f"/reports/{report.pk}/appeal", {"text": "It repeats every hour."})
    assert sent.status_code == 302
    again = browser.post(f"/reports/{report.pk}/appeal", {"text": "Once more."})
    assert again.status_code == 400 and "already appealed" in text_of(again)
    assert Appeal.objects.filter(case=case, appellant=bishop).count() == 1
    page = browser.get(f"/reports/{report.pk}")
    assert "a moderator will review it" in text_of(page)
    # Nobody else opens the report or appeals through it.
    other = client_of(make_user("rook"))
    assert other.get(f"/reports/{report.pk}").status_code == 404
    assert other.post(f"/reports/{report.pk}/appeal", {"text": "x"}).status_code == 404
    # The staff page shows the dismissal and the reviewer decides it.
    staff = client_of(rowan).get("/admin/moderation/appeals")
    assert "The case was dismissed" in text_of(staff)
    assert "another moderator reviews the appeal" in text_of(staff)
    made = Appeal.objects.get(case=case)
    done = client_of(moss).post(
        f"/admin/moderation/appeals/{made.pk}", {"outcome": "reversed", "reply": "Agreed."}
    )
    assert done.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.OPEN
    page = browser.get(f"/reports/{report.pk}")
    assert "Decision reversed" in text_of(page) and "Waiting for a moderator" in text_of(page)


def test_a_reporter_appeals_an_action_from_the_reports_page(rowan: User, moss: User) -> None:
    knight = make_user("knight")
    post = make_post(knight, "Join the chess society's open tournament!")
    bishop = make_user("bishop")
    report = actions.report_post(bishop, post.pk, category=ReportCategory.SPAM)
    assert report.case is not None
    rule = Rule.objects.create(text="Be kind to other players.", position=1)
    statement = decisions.act_on_case(
        rowan,
        report.case.pk,
        action="warn",
        ground="rule",
        rule_id=rule.pk,
        explanation="Advertising is limited.",
    )
    browser = client_of(bishop)
    page = browser.get(f"/reports/{report.pk}")
    assert "The moderators acted: Warning" in text_of(page)
    sent = browser.post(f"/reports/{report.pk}/appeal", {"text": "A warning is too light."})
    assert sent.status_code == 302
    made = Appeal.objects.get(statement=statement)
    assert made.role == "reporter" and made.appellant == bishop
    run_jobs()
    mail.outbox.clear()
    appeals.decide(moss, made.pk, "upheld", "A warning fits a first time.")
    run_jobs()
    [email] = [m for m in mail.outbox if m.to == [bishop.email]]
    assert "upheld" in email.body and "/reports" in email.body
    assert "Decision upheld" in text_of(browser.get(f"/reports/{report.pk}"))


def test_the_settings_link_to_the_members_reports_and_decisions() -> None:
    page = text_of(client_of(make_user("fern")).get("/settings/privacy"))
    assert 'href="/reports"' in page and 'href="/statements"' in page
