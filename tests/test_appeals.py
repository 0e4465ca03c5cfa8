"""Appeals against a moderation decision: who may appeal and until when, who reviews,
what reversing undoes, the emails, the member's form and the staff page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.moderation import actions, appeals, decisions, strikes
from townsquare.moderation.models import (
    Appeal,
    AppealState,
    AuditEntry,
    Report,
    ReportCategory,
    Statement,
    Strike,
)
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def rowan() -> User:
    """The gardening club's moderator who takes the decisions."""
    return make_user("rowan", role="moderator")


@pytest.fixture
def rule() -> Rule:
    return Rule.objects.create(text="Be kind to other gardeners.", position=1)


def _decision(moderator: User, rule: Rule, action: str = "limit", severity: int = 1) -> Statement:
    ivy = make_user("ivy")
    post = make_post(ivy, "Swap your seedlings at my stall instead!")
    case = actions.report_post(make_user("fern"), post.pk, category=ReportCategory.SPAM).case
    return decisions.act_on_case(
        moderator,
        case.pk,
        action=action,
        duration="",
        ground="rule",
        rule_id=rule.pk,
        explanation="Advertising another market is not allowed here.",
        severity=severity,
    )


def _reporter(statement: Statement) -> User:
    return Report.objects.filter(case_id=statement.case_id).first().reporter  # type: ignore[union-attr]


def test_affected_member_appeals_once(rowan: User, rule: Rule) -> None:
    statement = _decision(rowan, rule)
    ivy = statement.account
    assert ivy is not None
    made = appeals.appeal(ivy, statement.pk, "The stall is the club's own seed swap.")
    assert made.role == "affected" and made.state == AppealState.OPEN
    assert AuditEntry.objects.filter(action="appeal.create", target_id=str(made.pk)).exists()
    with pytest.raises(ValidationError):
        appeals.appeal(ivy, statement.pk, "Again, please.")
    with pytest.raises(ValidationError):
        appeals.appeal(ivy, statement.pk, "   ")


def test_reporter_appeals_and_strangers_cannot(rowan: User, rule: Rule) -> None:
    statement = _decision(rowan, rule, action="warn")
    made = appeals.appeal(_reporter(statement), statement.pk, "A warning is too light.")
    assert made.role == "reporter"
    with pytest.raises(PermissionDenied):
        appeals.appeal(make_user("oak"), statement.pk, "I was not involved.")


def test_appeal_refused_after_six_months(rowan: User, rule: Rule) -> None:
    statement = _decision(rowan, rule)
    Statement.objects.filter(pk=statement.pk).update(
        application_date=timezone.now() - timedelta(days=190)
    )
    with pytest.raises(ValidationError):
        appeals.appeal(statement.account, statement.pk, "Please look again.")  # type: ignore[arg-type]
    assert not Appeal.objects.exists()


def test_the_deciding_moderator_reviews_only_when_alone(rowan: User, rule: Rule) -> None:
    statement = _decision(rowan, rule)
    made = appeals.appeal(statement.account, statement.pk, "Please look again.")  # type: ignore[arg-type]
    moss = make_user("moss", role="moderator")
    with pytest.raises(PermissionDenied):
        appeals.decide(rowan, made.pk, "upheld", "The rule is clear.")
    User.objects.filter(pk=moss.pk).update(is_active=False)
    decided = appeals.decide(rowan, made.pk, "upheld", "The rule is clear.")
    assert decided.state == AppealState.UPHELD and decided.decided_by_id == rowan.pk


def test_reversing_lifts_the_restriction_and_strikes_and_emails(rowan: User, rule: Rule) -> None:
    statement = _decision(rowan, rule, action="limit", severity=2)
    ivy = statement.account
    assert ivy is not None
    ivy.refresh_from_db()
    assert ivy.is_limited
    assert strikes.active_points(ivy.pk) == 2
    made = appeals.appeal(ivy, statement.pk, "The stall is the club's own seed swap.")
    moss = make_user("moss", role="moderator")
    run_jobs()
    mail.outbox.clear()
    appeals.decide(moss, made.pk, "reversed", "You are right, it is the club's swap.")
    ivy.refresh_from_db()
    assert not ivy.is_limited
    assert not Strike.objects.filter(statement=statement).exists()
    assert all(r.lifted_at is not None for r in statement.enforcements.all())
    entry = AuditEntry.objects.get(action="appeal.decide", target_id=str(made.pk))
    assert entry.after["state"] == "reversed"
    run_jobs()
    [email] = [m for m in mail.outbox if m.to == [ivy.email]]
    assert "reversed" in email.body and "it is the club's swap" in email.body
    with pytest.raises(ValidationError):
        appeals.decide(moss, made.pk, "upheld", "Changed my mind.")


def test_upholding_keeps_the_decision_and_emails_the_reporter(rowan: User, rule: Rule) -> None:
    statement = _decision(rowan, rule, action="limit")
    fern = _reporter(statement)
    made = appeals.appeal(fern, statement.pk, "Please make it longer.")
    moss = make_user("moss", role="moderator")
    run_jobs()
    mail.outbox.clear()
    appeals.decide(moss, made.pk, "upheld", "The limit stays as it is.")
    assert statement.account is not None
    statement.account.refresh_from_db()
    assert statement.account.is_limited
    run_jobs()
    [email] = [m for m in mail.outbox if m.to == [fern.email]]
    assert "upheld" in email.body
    assert f"/statements/{statement.pk}" not in email.body  # reporters cannot open it


def test_deciding_needs_the_permission(rowan: User, rule: Rule) -> None:
    statement = _decision(rowan, rule)
    made = appeals.appeal(statement.account, statement.pk, "Please look again.")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        appeals.decide(make_user("oak"), made.pk, "reversed", "Sure.")
    with pytest.raises(ValidationError):
        appeals.decide(make_user("moss", role="moderator"), made.pk, "maybe", "Hmm.")
    assert Appeal.objects.get(pk=made.pk).state == AppealState.OPEN


def test_suspended_member_appeals_from_the_statement_page(rowan: User, rule: Rule) -> None:
    statement = _decision(rowan, rule, action="suspend")
    ivy = statement.account
    assert ivy is not None
    ivy.refresh_from_db()
    assert ivy.is_suspended
    browser = client_of(ivy)
    page = browser.get(f"/statements/{statement.pk}")
    assert page.status_code == 200 and "Send the appeal" in text_of(page)
    empty = browser.post(f"/statements/{statement.pk}/appeal", {"text": ""})
    assert empty.status_code == 400
    sent = browser.post(f"/statements/{statement.pk}/appeal", {"text": "Please look again."})
    assert sent.status_code == 302
    assert Appeal.objects.filter(statement=statement, appellant=ivy).count() == 1
    page = browser.get(f"/statements/{statement.pk}")
    assert "Send the appeal" not in text_of(page)
    assert "a moderator will review it" in text_of(page)
    other = client_of(make_user("oak")).post(f"/statements/{statement.pk}/appeal", {"text": "x"})
    assert other.status_code == 404


def test_staff_page_lists_and_decides_appeals(rowan: User, rule: Rule) -> None:
    statement = _decision(rowan, rule)
    made = appeals.appeal(statement.account, statement.pk, "The stall is the club's swap.")  # type: ignore[arg-type]
    moss = make_user("moss", role="moderator")
    assert client_of(make_user("oak")).get("/admin/moderation/appeals").status_code == 403
    page = client_of(rowan).get("/admin/moderation/appeals")
    assert "the club&#x27;s swap" in text_of(page)
    assert "another moderator reviews the appeal" in text_of(page)
    browser = client_of(moss)
    page = browser.get("/admin/moderation/appeals")
    assert page.status_code == 200 and 'href="/admin/moderation/appeals"' in text_of(page)
    bad = browser.post(f"/admin/moderation/appeals/{made.pk}", {"outcome": "upheld", "reply": ""})
    assert bad.status_code == 400
    done = browser.post(
        f"/admin/moderation/appeals/{made.pk}", {"outcome": "reversed", "reply": "Agreed."}
    )
    assert done.status_code == 302
    assert Appeal.objects.get(pk=made.pk).state == AppealState.REVERSED
    refused = client_of(rowan).post(
        f"/admin/moderation/appeals/{made.pk}", {"outcome": "upheld", "reply": "No."}
    )
    assert refused.status_code == 400
