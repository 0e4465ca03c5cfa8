"""Notices of illegal content (EU DSA Art. 16) through the public form at /notice: the links
must be this site's, the notifier names themselves (except for child sexual abuse material)
and confirms their good faith, the form is protected like sign-up, each link joins the open
case of what it names, and the notifier is emailed an acknowledgement and the decision."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user, run_jobs, sign_up_checks
from townsquare.accounts import signup_guard
from townsquare.core import ratelimit
from townsquare.moderation import actions as report_actions
from townsquare.moderation import cases, notices
from townsquare.moderation.models import Case, CaseState, Notice, Report, Source

pytestmark = pytest.mark.django_db

EXPLANATION = "This post sells counterfeit seed packets with a forged organic certificate."


def send(
    client: Client | None = None, *, checks: dict[str, str] | None = None, **fields: Any
) -> Any:
    data = {
        "urls": "",
        "category": "legal",
        "explanation": EXPLANATION,
        "legal_ground": "Trade marks act",
        "name": "Rowan Hedge",
        "email": "rowan@example.org",
        "good_faith": "on",
        **(sign_up_checks() if checks is None else checks),
        **fields,
    }
    return (client or Client(REMOTE_ADDR="198.51.100.20")).post("/notice", data)


@pytest.fixture
def post() -> Any:
    return make_post(make_user("thistle"), "Seed swap on Saturday at the allotments.")


def url_of(post: Any) -> str:
    return f"http://testserver/@{post.author.username}/{post.pk}"


def test_the_footer_links_to_the_form_which_carries_the_anti_spam_checks() -> None:
    page = text_of(Client().get("/about"))
    assert 'href="/notice"' in page and "Report illegal content" in page
    form = text_of(Client().get("/notice"))
    assert "data-signup-guard" in form and "data-altcha=" in form
    assert 'name="website"' in form and 'name="form_stamp"' in form


def test_a_notice_files_a_report_per_link_and_acknowledges_with_a_reference(post: Any) -> None:
    gardener = make_user("marigold")
    response = send(urls=f"{url_of(post)}\nhttp://testserver/@marigold")
    assert response.status_code == 200
    notice = Notice.objects.get()
    assert notice.reference in text_of(response)
    assert notice.name == "Rowan Hedge" and notice.email == "rowan@example.org"
    assert notice.language == "en" and len(notice.urls) == 2
    reports = Report.objects.filter(notice=notice).order_by("kind")
    assert [(r.kind, r.object_id, r.source) for r in reports] == [
        ("account", gardener.pk, Source.NOTICE),
        ("post", post.pk, Source.NOTICE),
    ]
    assert all(r.reporter is None for r in reports)
    case = Case.objects.get(kind="post", target_id=post.pk)
    assert case.source == Source.NOTICE and case.report_count == 1
    run_jobs()
    [ack] = [m for m in mail.outbox if m.to == ["rowan@example.org"]]
    assert notice.reference in ack.subject and url_of(post) in ack.body


def test_a_notice_joins_the_open_case_of_a_members_report(post: Any) -> None:
    report_actions.report_post(make_user("basil"), post.pk, category="spam")
    send(urls=url_of(post))
    case = Case.objects.get(kind="post", target_id=post.pk)
    assert case.report_count == 2 and case.source == Source.MEMBER
    assert Report.objects.filter(case=case, source=Source.NOTICE).count() == 1


def test_the_acknowledgement_is_in_the_pages_language(post: Any) -> None:
    client = Client(REMOTE_ADDR="198.51.100.21", HTTP_ACCEPT_LANGUAGE="fr")
    send(client, urls=url_of(post))
    notice = Notice.objects.get()
    assert notice.language == "fr"


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/@thistle/1",
        "http://testserver/settings",
        "http://testserver/@nobody-here",
        "ftp://testserver/@thistle",
        "not a link",
    ],
)
def test_links_that_are_not_this_sites_content_are_refused(post: Any, url: str) -> None:
    response = send(urls=f"{url_of(post)}\n{url}")
    assert response.status_code == 400
    assert "is not a post, profile, group or page of this site" in text_of(response)
    assert not Notice.objects.exists() and not Report.objects.exists()


def test_a_hidden_post_cannot_be_named_by_someone_who_cannot_see_it() -> None:
    private = make_post(make_user("sorrel"), "Only for my followers.", visibility=2)
    response = send(urls=url_of(private))
    assert response.status_code == 400 and not Notice.objects.exists()


def test_the_good_faith_statement_is_required(post: Any) -> None:
    response = send(urls=url_of(post), good_faith="")
    assert response.status_code == 400
    assert "accurate and complete" in text_of(response)
    assert not Notice.objects.exists()


def test_name_and_email_are_required_except_for_child_sexual_abuse_material(post: Any) -> None:
    response = send(urls=url_of(post), name="", email="")
    assert response.status_code == 400
    assert "Give your name." in text_of(response) and "Give your email address" in text_of(response)
    assert not Notice.objects.exists()
    assert send(urls=url_of(post), email="not-an-address").status_code == 400
    response = send(urls=url_of(post), name="", email="", category=notices.CHILD_ABUSE)
    assert response.status_code == 200
    notice = Notice.objects.get()
    assert notice.name == "" and notice.email == ""
    assert Report.objects.get(notice=notice).category == "legal"
    run_jobs()
    assert not mail.outbox  # nobody to acknowledge


def test_an_explanation_is_required(post: Any) -> None:
    response = send(urls=url_of(post), explanation="  ")
    assert response.status_code == 400 and not Notice.objects.exists()


def test_the_proof_of_work_and_the_honeypot_are_required(post: Any) -> None:
    checks = sign_up_checks()
    checks[signup_guard.PROOF_FIELD] = ""
    response = send(urls=url_of(post), checks=checks)
    assert response.status_code == 400 and "anti-spam check" in text_of(response)
    checks = sign_up_checks()
    checks[signup_guard.HONEYPOT_FIELD] = "http://spam.example"
    assert send(urls=url_of(post), checks=checks).status_code == 400
    checks = sign_up_checks()
    checks[signup_guard.STAMP_FIELD] = signup_guard.form_stamp()  # sent back at once
    assert send(urls=url_of(post), checks=checks).status_code == 400
    assert not Notice.objects.exists()


def test_a_member_finds_their_name_and_email_filled_in(post: Any) -> None:
    basil = make_user("basil")
    page = text_of(client_of(basil).get("/notice"))
    assert f'value="{basil.email}"' in page
    client = client_of(basil)
    send(client, urls=url_of(post), name="Basil", email=basil.email)
    report = Report.objects.get()
    assert report.reporter == basil and report.source == Source.NOTICE


def test_the_notifier_is_emailed_the_decision(post: Any) -> None:
    warden = make_user("warden", role="moderator")
    send(urls=url_of(post))
    case = Case.objects.get(kind="post")
    run_jobs()
    mail.outbox.clear()
    cases.dismiss(warden, case.pk, "A real seed swap.")
    run_jobs()
    [decision] = [m for m in mail.outbox if m.to == ["rowan@example.org"]]
    assert Notice.objects.get().reference in decision.subject
    assert "took no action" in decision.body


def test_the_notifier_is_emailed_when_the_case_is_resolved(post: Any) -> None:
    warden = make_user("warden", role="moderator")
    send(urls=url_of(post))
    run_jobs()
    mail.outbox.clear()
    cases.resolve(warden, Case.objects.get(kind="post").pk)
    run_jobs()
    [decision] = [m for m in mail.outbox if m.to == ["rowan@example.org"]]
    assert "acted on the content" in decision.body
    assert Case.objects.get().state == CaseState.RESOLVED


def test_notices_from_one_address_are_rate_limited(
    post: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = SimpleNamespace(now=time.time())
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: moment.now))
    client = Client(REMOTE_ADDR="198.51.100.30")
    for _ in range(notices.NOTICES_PER_IP.count):
        assert send(client, urls=url_of(post)).status_code == 200
    response = send(client, urls=url_of(post))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert send(Client(REMOTE_ADDR="198.51.100.31"), urls=url_of(post)).status_code == 200
    moment.now += 60 * 60 + 1
    assert send(client, urls=url_of(post)).status_code == 200
    assert re.fullmatch(r"N-[0-9A-F]{8}", Notice.objects.first().reference)
