"""Appeals by notifiers without an account: the decision email about a notice carries a signed
link (six months) to a public appeal form protected like the notice form; one open appeal per
notice and decision; the outcome is emailed in the notice's language; bad links, late or
repeated appeals and bad text are refused with a clear 4xx, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import text_of
from tests.factories import make_post, make_user, run_jobs, sign_up_checks
from townsquare.accounts import signup_guard
from townsquare.accounts.models import User
from townsquare.moderation import appeals, cases, decisions, notice_appeals
from townsquare.moderation.models import (
    Appeal,
    AppealState,
    AuditEntry,
    Case,
    CaseState,
    Notice,
    Statement,
)
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://\S+/appeals/notice/\S+")


@pytest.fixture
def rowan() -> User:
    return make_user("rowan", role="moderator")


@pytest.fixture
def moss() -> User:
    return make_user("moss", role="moderator")


def _notice(language: str = "en") -> tuple[Case, Notice]:
    post = make_post(make_user("thistle"), "Seed swap on Saturday at the allotments.")
    Client(REMOTE_ADDR="198.51.100.20", HTTP_ACCEPT_LANGUAGE=language).post(
        "/notice",
        {
            "urls": f"http://testserver/@thistle/{post.pk}",
            "category": "legal",
            "explanation": "The seed packets carry a forged organic certificate.",
            "name": "Hazel Brook",
            "email": "hazel@example.org",
            "good_faith": "on",
            **sign_up_checks(),
        },
    )
    return Case.objects.get(kind="post", target_id=post.pk), Notice.objects.get()


def _link_after(decide: Any) -> str:
    run_jobs()
    mail.outbox.clear()
    decide()
    run_jobs()
    [email] = [m for m in mail.outbox if m.to == ["hazel@example.org"]]
    found = LINK.search(email.body)
    assert found is not None, email.body
    return found.group(0)


def _path(link: str) -> str:
    return link.removeprefix("http://testserver").removeprefix("http://localhost:8000")


def _send(path: str, text: str = "The certificate number does not exist.", **extra: str) -> Any:
    return Client(REMOTE_ADDR="198.51.100.30").post(
        path, {"text": text, **sign_up_checks(), **extra}
    )


def test_a_notifier_appeals_a_dismissal_through_the_emailed_link(rowan: User, moss: User) -> None:
    case, notice = _notice()
    link = _link_after(lambda: cases.dismiss(rowan, case.pk, "Looks like a real swap."))
    page = Client().get(_path(link))
    assert page.status_code == 200
    assert notice.reference in text_of(page) and "took no action" in text_of(page)
    assert "data-signup-guard" in text_of(page)
    sent = _send(_path(link))
    assert sent.status_code == 200 and "was sent to the moderators" in text_of(sent)
    made = Appeal.objects.get()
    assert made.case_id == case.pk and made.notice_id == notice.pk
    assert made.role == "notifier" and made.appellant is None
    assert AuditEntry.objects.filter(action="appeal.create", target_id=str(made.pk)).exists()
    again = _send(_path(link), "Once more.")
    assert again.status_code == 400 and "already appealed" in text_of(again)
    assert Appeal.objects.count() == 1
    # The moderator who dismissed does not review it; another reverses and the case reopens.
    with pytest.raises(PermissionDenied):
        appeals.decide(rowan, made.pk, "upheld", "Still a swap.")
    run_jobs()
    mail.outbox.clear()
    appeals.decide(moss, made.pk, "reversed", "The certificate is forged indeed.")
    assert Case.objects.get(pk=case.pk).state == CaseState.OPEN
    run_jobs()
    [email] = [m for m in mail.outbox if m.to == ["hazel@example.org"]]
    assert notice.reference in email.body and "reversed" in email.body
    assert "forged indeed" in email.body


def test_a_notifier_appeals_an_action_and_the_outcome_is_in_the_notices_language(
    rowan: User, moss: User
) -> None:
    case, notice = _notice("fr")
    assert notice.language == "fr"
    rule = Rule.objects.create(text="Be kind to other gardeners.", position=1)

    def act() -> None:
        decisions.act_on_case(
            rowan, case.pk, action="warn", ground="rule", rule_id=rule.pk, explanation="Careful."
        )

    link = _link_after(act)
    statement = Statement.objects.get(case=case)
    made = appeals.appeal_as_notifier(notice.pk, statement, "A warning is too light.")
    assert made.statement_id == statement.pk and made.role == "notifier"
    assert Client().get(_path(link)).status_code == 200  # shows the open appeal
    assert _send(_path(link)).status_code == 400
    run_jobs()
    mail.outbox.clear()
    appeals.decide(moss, made.pk, "upheld", "A first warning is the rule.")
    run_jobs()
    [email] = [m for m in mail.outbox if m.to == ["hazel@example.org"]]
    assert "A first warning is the rule." in email.body
    assert "Outcome: the decision was upheld." not in email.body  # in French
    assert Appeal.objects.get(pk=made.pk).state == AppealState.UPHELD


def test_the_notifiers_emails_are_written_from_templates_in_the_notices_language(
    rowan: User,
) -> None:
    run_jobs()
    mail.outbox.clear()
    case, notice = _notice("fr")
    run_jobs()
    [received] = [m for m in mail.outbox if m.to == ["hazel@example.org"]]
    assert notice.reference in received.subject
    assert f"Sa référence est {notice.reference}." in received.body
    assert f"  {notice.urls[0]}" in received.body  # what they told us about, one per line
    mail.outbox.clear()
    cases.dismiss(rowan, case.pk, "Looks like a real swap.")
    run_jobs()
    [decided] = [m for m in mail.outbox if m.to == ["hazel@example.org"]]
    assert "a pris une décision concernant votre signalement" in decided.body
    decision = appeals.decision_of_case(Case.objects.get(pk=case.pk))
    assert decision is not None
    until = appeals.appeal_until(decision).date().isoformat()
    assert f"jusqu’au {until}" in decided.body and LINK.search(decided.body)
    assert "&#x27;" not in decided.body and "&amp;" not in decided.body  # plain text, unescaped


def test_tampered_or_expired_links_are_refused_with_a_400(rowan: User) -> None:
    case, notice = _notice()
    link = _link_after(lambda: cases.dismiss(rowan, case.pk, ""))
    path = _path(link)
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for bad in (tampered, "/appeals/notice/nonsense", "/appeals/notice/" + "x" * 300):
        page = Client().get(bad)
        assert page.status_code == 400 and "not valid" in text_of(page)
        assert _send(bad).status_code == 400
    forged = signing.dumps({"n": notice.pk, "c": case.pk}, salt="another.salt")
    assert Client().get(f"/appeals/notice/{forged}").status_code == 400
    salt = "townsquare.appeal.notice"
    for data in ({"n": notice.pk, "c": 1}, {"n": "x", "c": case.pk}, ["n", notice.pk]):
        odd = signing.dumps(data, salt=salt)
        assert Client().get(f"/appeals/notice/{odd}").status_code == 400
    later = timezone.now() + notice_appeals.LINK_MAX_AGE + timedelta(days=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: later.timestamp())
        page = Client().get(path)
        assert page.status_code == 400 and "expired" in text_of(page)
    assert not Appeal.objects.exists()


def test_late_empty_too_long_or_unguarded_appeals_are_form_errors(rowan: User) -> None:
    case, notice = _notice()
    path = _path(_link_after(lambda: cases.dismiss(rowan, case.pk, "")))
    assert _send(path, "").status_code == 400
    long = _send(path, "x" * (appeals.MAX_TEXT + 1))
    assert long.status_code == 400
    robot = _send(path, **{signup_guard.HONEYPOT_FIELD: "http://spam.example"})
    assert robot.status_code == 400
    checks = sign_up_checks()
    checks[signup_guard.PROOF_FIELD] = ""
    unsolved = Client().post(path, {"text": "Please look again.", **checks})
    assert unsolved.status_code == 400 and "anti-spam check" in text_of(unsolved)
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(days=190))
    late = _send(path)
    assert late.status_code == 400 and "has passed" in text_of(late)
    with pytest.raises(ValidationError):
        appeals.appeal_as_notifier(notice.pk, Case.objects.get(pk=case.pk), "Late.")
    assert not Appeal.objects.exists()


def test_a_notice_cannot_appeal_a_decision_on_something_else(rowan: User) -> None:
    case, notice = _notice()
    cases.dismiss(rowan, case.pk, "")
    other = make_post(make_user("sorrel"), "Tomato seedlings to give away.")
    from townsquare.moderation import actions

    report = actions.report_post(make_user("basil"), other.pk, category="spam")
    assert report.case is not None
    cases.dismiss(rowan, report.case.pk, "")
    with pytest.raises(PermissionDenied):
        appeals.appeal_as_notifier(notice.pk, Case.objects.get(pk=report.case.pk), "Mine?")
    token = notice_appeals.token_for(notice, Case.objects.get(pk=report.case.pk))
    page = _send(f"/appeals/notice/{token}")
    assert page.status_code == 400 and "cannot appeal" in text_of(page)
