"""Decisions about accounts without a case: a moderator suspends (limits, freezes, warns) one
account from its staff page, or many chosen in the members list, each with its own statement
of reasons; all or none; lifting from the member's page."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.conftest import client_of, text_of
from tests.factories import make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.moderation.models import AuditEntry, Enforcement, Statement
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def rowan() -> User:
    """The gardening club's moderator."""
    return make_user("rowan", role="moderator")


@pytest.fixture
def rule() -> Rule:
    return Rule.objects.create(text="No advertising.", position=1)


def _form(rule: Rule, *accounts: User, action: str = "suspend", **extra: str) -> dict:
    return {
        "account": [a.pk for a in accounts],
        "act-action": action,
        "act-duration": "7d",
        "act-ground": f"rule:{rule.pk}",
        "act-explanation": "Seed-selling adverts in every thread.",
        "act-severity": "0",
        "next": "/admin/members",
        **extra,
    }


def test_a_moderator_suspends_many_accounts_from_the_members_list(rowan: User, rule: Rule) -> None:
    spammers = [make_user(f"seedshop{n}") for n in range(3)]
    bystander = make_user("hazel")
    page = client_of(rowan).get("/admin/members")
    assert page.status_code == 200
    assert f'name="account" value="{spammers[0].pk}"' in text_of(page)
    mail.outbox.clear()
    answer = client_of(rowan).post("/admin/members-act", _form(rule, *spammers), follow=True)
    assert "3 accounts decided" in text_of(answer)
    for spammer in spammers:
        spammer.refresh_from_db()
        assert spammer.is_suspended
        statement = Statement.objects.get(account=spammer)
        assert statement.case_id is None
        assert statement.action == "suspend"
        assert statement.source_type == "SOURCE_VOLUNTARY"  # the site's own initiative
        assert statement.incompatible_content_ground == rule.text
        assert statement.end_date_account_restriction is not None
        assert AuditEntry.objects.filter(action="account.act", target_id=str(spammer.pk)).exists()
    bystander.refresh_from_db()
    assert not bystander.is_suspended
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in spammers)
    # The suspended member can read their statement (and appeal it) after logging in.
    statement = Statement.objects.get(account=spammers[0])
    assert client_of(spammers[0]).get(f"/statements/{statement.pk}").status_code == 200


def test_all_or_none_when_one_account_is_above_the_moderator(rowan: User, rule: Rule) -> None:
    spammer = make_user("seedshop")
    admin = make_user("alder", role="admin")
    answer = client_of(rowan).post("/admin/members-act", _form(rule, spammer, admin), follow=True)
    assert "Nothing was done" in text_of(answer)
    spammer.refresh_from_db()
    assert not spammer.is_suspended
    assert not Statement.objects.exists()
    assert not Enforcement.objects.exists()


def test_bad_input_is_a_clear_message_not_an_error(rowan: User, rule: Rule) -> None:
    ivy = make_user("ivy")
    browser = client_of(rowan)
    nobody = browser.post("/admin/members-act", _form(rule), follow=True)
    assert "Choose at least one account" in text_of(nobody)
    # Removing posts needs the posts: that is a case's decision, not an account's.
    remove = browser.post("/admin/members-act", _form(rule, ivy, action="remove"), follow=True)
    assert "Nothing was done" in text_of(remove)
    silent = browser.post(
        "/admin/members-act", _form(rule, ivy, **{"act-explanation": ""}), follow=True
    )
    assert "Nothing was done" in text_of(silent)
    itself = browser.post("/admin/members-act", _form(rule, rowan), follow=True)
    assert "Nothing was done" in text_of(itself)
    assert not Statement.objects.exists()
    # Outside the admin pages, `next` is ignored.
    answer = browser.post("/admin/members-act", _form(rule, ivy, next="https://example.org/"))
    assert answer.status_code == 302 and answer["Location"] == "/admin/members"


def test_members_without_the_permission_are_refused(rule: Rule) -> None:
    ivy, moss = make_user("ivy"), make_user("moss")
    assert client_of(moss).post("/admin/members-act", _form(rule, ivy)).status_code == 403
    assert client_of(moss).get("/admin/members").status_code == 403
    ivy.refresh_from_db()
    assert not ivy.is_suspended


def test_one_account_from_its_page_then_lifted(rowan: User, rule: Rule) -> None:
    ivy = make_user("ivy")
    browser = client_of(rowan)
    page = browser.get(f"/admin/members/{ivy.username}")
    assert page.status_code == 200 and "No restriction in force" in text_of(page)
    form = _form(rule, ivy, action="freeze", next=f"/admin/members/{ivy.username}")
    answer = browser.post("/admin/members-act", form, follow=True)
    assert "1 account decided" in text_of(answer)
    ivy.refresh_from_db()
    assert ivy.is_frozen
    record = Enforcement.objects.get(account=ivy)
    page = browser.get(f"/admin/members/{ivy.username}")
    assert "until" in text_of(page) and f'value="{record.pk}"' in text_of(page)
    lifted = browser.post(
        "/admin/members-lift",
        {"enforcement": record.pk, "next": f"/admin/members/{ivy.username}"},
        follow=True,
    )
    assert "The action was lifted" in text_of(lifted)
    ivy.refresh_from_db()
    assert not ivy.is_frozen
    again = browser.post("/admin/members-lift", {"enforcement": record.pk}, follow=True)
    assert "already lifted" in text_of(again)
