"""Who may join: the registration modes (open, approval, invite only, closed), invite links,
the applications queue, email domains, and the age and terms questions, through the sign-up
page, the API's sign-up and the moderators' queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, make_user, run_jobs, sign_up_checks
from townsquare.accounts import registration
from townsquare.accounts.models import Application, Invite, StaffRole, User
from townsquare.site import actions as site_actions
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db


def configure(**changes: object) -> None:
    site_actions.update_settings(None, **changes)


def join(client: Client | None = None, query: str = "", **fields: str) -> object:
    data = {
        "username": "basil",
        "email": "basil@example.org",
        "password": PASSWORD,
        "agreement": "on",
        **sign_up_checks(),
        **fields,
    }
    return (client or Client()).post("/signup" + query, data)


def log_in(username: str = "basil") -> object:
    return Client().post("/login", {"login": username, "password": PASSWORD})


def confirm(address: str) -> None:
    run_jobs()
    body = next(m.body for m in mail.outbox if address in m.to and "confirm" in m.body.lower())
    link = next(word for word in body.split() if "/confirm/" in word)
    Client().get(link.replace("http://testserver", ""))


# --- open -------------------------------------------------------------------------------------


def test_open_sign_up_records_when_the_terms_were_accepted() -> None:
    before = timezone.now()
    response = join()
    assert response.status_code == 200
    basil = User.objects.get(username="basil")
    assert basil.is_active
    assert basil.terms_accepted_at is not None and basil.terms_accepted_at >= before
    assert basil.age_confirmed_at is None  # the site asks no age


def test_sign_up_without_accepting_the_terms_is_a_form_error() -> None:
    response = join(agreement="")
    assert response.status_code == 400
    assert "This field is required" in text_of(response)
    assert not User.objects.filter(username="basil").exists()


def test_the_sign_up_page_shows_the_rules() -> None:
    site_actions.set_rules(None, [("Be kind to fellow gardeners.", ""), ("No spam.", "")])
    page = text_of(Client().get("/signup"))
    assert "Be kind to fellow gardeners." in page
    assert page.index("Be kind") < page.index("No spam.")


def test_a_minimum_age_must_be_confirmed_and_is_recorded() -> None:
    configure(min_age=16)
    page = text_of(Client().get("/signup"))
    assert "I am at least 16 years old." in page
    assert join().status_code == 400
    assert not User.objects.filter(username="basil").exists()
    assert join(age="on").status_code == 200
    assert User.objects.get(username="basil").age_confirmed_at is not None


# --- email domains ----------------------------------------------------------------------------


def test_blocked_email_domains_and_their_subdomains_are_refused() -> None:
    configure(blocked_email_domains="spam.example\n")
    response = join(email="basil@mail.spam.example")
    assert response.status_code == 400
    assert "are not accepted here" in text_of(response)
    assert join(email="basil@garden.example").status_code == 200


def test_only_allowed_email_domains_may_join_when_some_are_listed() -> None:
    configure(allowed_email_domains="chess-society.example")
    assert join(email="basil@elsewhere.example").status_code == 400
    assert join(email="basil@chess-society.example").status_code == 200


def test_a_domain_list_with_a_line_that_is_not_a_domain_is_refused_whole() -> None:
    with pytest.raises(Exception, match="not an email domain"):
        configure(blocked_email_domains="spam.example\nnot a domain")
    assert registration.state.site_settings().blocked_email_domains == ""


# --- closed -------------------------------------------------------------------------------------


def test_a_closed_site_refuses_sign_ups_on_the_page_and_the_form() -> None:
    configure(registration_mode="closed")
    assert Client().get("/signup").status_code == 403
    assert join().status_code == 403
    assert not User.objects.filter(username="basil").exists()


# --- invite only ------------------------------------------------------------------------------


def test_invite_only_needs_a_valid_invite_link() -> None:
    configure(registration_mode="invite")
    fern = make_user("fern")
    assert Client().get("/signup").status_code == 403
    assert "by invitation" in text_of(Client().get("/signup"))
    invite = registration.create_invite(fern, days=7, max_uses=1)
    page = Client().get(f"/signup?invite={invite.code}")
    assert page.status_code == 200
    assert invite.code in text_of(page)  # carried in the form
    assert join(invite=invite.code).status_code == 200
    basil = User.objects.get(username="basil")
    assert basil.invited_by_id == fern.pk and basil.is_active
    invite.refresh_from_db()
    assert invite.uses == 1


def test_a_used_up_expired_or_withdrawn_invite_says_so_and_lets_nobody_in() -> None:
    configure(registration_mode="invite")
    fern = make_user("fern")
    used = registration.create_invite(fern, max_uses=1)
    assert join(invite=used.code).status_code == 200
    response = join(invite=used.code, username="thyme", email="thyme@example.org")
    assert response.status_code == 403
    assert "used up" in text_of(response)

    expired = registration.create_invite(fern, days=1)
    Invite.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().get(f"/signup?invite={expired.code}")
    assert response.status_code == 403 and "expired" in text_of(response)

    withdrawn = registration.create_invite(fern)
    client_of(fern).post(f"/settings/invites/{withdrawn.pk}/withdraw")
    response = Client().get(f"/signup?invite={withdrawn.code}")
    assert response.status_code == 403 and "withdrawn" in text_of(response)
    assert not User.objects.filter(username="thyme").exists()


def test_members_create_invite_links_from_their_settings() -> None:
    configure(registration_mode="invite")
    fern = make_user("fern")
    browser = client_of(fern)
    response = browser.post("/settings/invites", {"days": "30", "max_uses": "5"})
    assert response.status_code == 302
    invite = Invite.objects.get(creator=fern)
    assert invite.max_uses == 5
    assert invite.expires_at is not None
    assert timedelta(days=29) < invite.expires_at - timezone.now() <= timedelta(days=30)
    page = text_of(browser.get("/settings/invites"))
    assert f"/signup?invite={invite.code}" in page
    # "never" and "any number of times"
    browser.post("/settings/invites", {"days": "", "max_uses": ""})
    unlimited = Invite.objects.filter(creator=fern).order_by("-id").first()
    assert unlimited is not None and unlimited.expires_at is None and unlimited.max_uses is None


def test_when_only_staff_may_invite_members_cannot() -> None:
    configure(registration_mode="invite", invite_policy="staff")
    fern = make_user("fern")
    response = client_of(fern).post("/settings/invites", {"days": "7", "max_uses": "1"})
    assert response.status_code == 403
    assert not Invite.objects.exists()
    moss = make_user("moss", role="moderator")
    assert (
        client_of(moss).post("/settings/invites", {"days": "7", "max_uses": "1"}).status_code == 302
    )
    inviters = StaffRole.objects.create(name="Welcomers", permissions=["invite_members"])
    fern.staff_role = inviters
    fern.save(update_fields=["staff_role"])
    fern = User.objects.get(pk=fern.pk)
    assert (
        client_of(fern).post("/settings/invites", {"days": "7", "max_uses": "1"}).status_code == 302
    )


def test_the_last_use_of_an_invite_goes_to_one_person_only() -> None:
    configure(registration_mode="invite")
    invite = registration.create_invite(make_user("fern"), max_uses=1)
    first = registration.sign_up(
        "basil", "basil@example.org", PASSWORD, ip="10.0.0.1",
        joining=registration.Joining(invite_code=invite.code, accepted_terms=True),
    )  # fmt: skip
    assert first.is_active
    with pytest.raises(Exception, match="used up"):
        registration.sign_up(
            "thyme", "thyme@example.org", PASSWORD, ip="10.0.0.2",
            joining=registration.Joining(invite_code=invite.code, accepted_terms=True),
        )  # fmt: skip
    assert not User.objects.filter(username="thyme").exists()


# --- approval -----------------------------------------------------------------------------------


def test_applicants_answer_the_question_and_wait_for_a_moderator() -> None:
    configure(registration_mode="approval", approval_question="Which allotment is yours?")
    page = text_of(Client().get("/signup"))
    assert "Which allotment is yours?" in page
    assert join().status_code == 400  # the answer is required
    response = join(answer="Plot 12, by the pond.")
    assert response.status_code == 200
    assert "with the moderators" in text_of(response)
    basil = User.objects.get(username="basil")
    assert not basil.is_active
    application = Application.objects.get(user=basil)
    assert application.answer == "Plot 12, by the pond." and application.state == "pending"
    confirm("basil@example.org")
    refused = log_in()
    assert "waiting for a moderator" in text_of(refused)
    # Nobody sees the applicant yet.
    assert Client().get("/@basil").status_code == 404


def test_a_moderator_lets_an_applicant_in_and_they_are_emailed() -> None:
    configure(registration_mode="approval", approval_question="Which allotment is yours?")
    join(answer="Plot 12.")
    confirm("basil@example.org")
    moss = make_user("moss", role="moderator")
    queue = client_of(moss).get("/admin/applications")
    assert queue.status_code == 200 and "Plot 12." in text_of(queue)
    application = Application.objects.get(username="basil")
    mail.outbox.clear()
    client_of(moss).post(f"/admin/applications/{application.pk}/accept")
    run_jobs()
    assert any("basil@example.org" in m.to and "accepted" in m.body for m in mail.outbox)
    assert log_in().status_code == 302
    application.refresh_from_db()
    assert application.state == "accepted" and application.decided_by_id == moss.pk


def test_a_declined_applicant_is_emailed_the_reason_and_their_account_is_gone() -> None:
    configure(registration_mode="approval")
    join()
    application = Application.objects.get(username="basil")
    moss = make_user("moss", role="moderator")
    mail.outbox.clear()
    client_of(moss).post(
        f"/admin/applications/{application.pk}/decline", {"reason": "This club is for Elm Street."}
    )
    run_jobs()
    assert any("Elm Street" in m.body for m in mail.outbox if "basil@example.org" in m.to)
    assert not User.objects.filter(username="basil").exists()
    application.refresh_from_db()
    assert application.state == "declined" and application.user_id is None
    # The name is free again.
    configure(registration_mode="open")
    assert join().status_code == 200


def test_an_invite_skips_the_approval_queue() -> None:
    configure(registration_mode="approval", approval_question="Which allotment is yours?")
    invite = registration.create_invite(make_user("fern"))
    assert "Which allotment" not in text_of(Client().get(f"/signup?invite={invite.code}"))
    assert join(invite=invite.code).status_code == 200
    assert User.objects.get(username="basil").is_active
    assert not Application.objects.exists()


def test_only_staff_who_approve_sign_ups_see_the_queue_and_decide() -> None:
    configure(registration_mode="approval")
    join()
    application = Application.objects.get(username="basil")
    fern = make_user("fern")
    assert client_of(fern).get("/admin/applications").status_code == 403
    assert client_of(fern).post(f"/admin/applications/{application.pk}/accept").status_code == 403
    assert Client().get("/admin/applications").status_code == 302  # to the login page
    application.refresh_from_db()
    assert application.state == "pending"


# --- the API's sign-up ------------------------------------------------------------------------


def api_register(**fields: object) -> object:
    from tests.api.conftest import ApiClient, make_token

    data = {
        "username": "basil",
        "email": "basil@example.org",
        "password": PASSWORD,
        "agreement": True,
        **fields,
    }
    return ApiClient(make_token(None, "read write follow")).post("/api/v1/accounts", data)


def test_the_api_follows_the_registration_mode() -> None:
    configure(registration_mode="invite")
    refused = api_register()
    assert refused.status_code == 403
    assert "invitation" in refused.json()["error"]
    invite = registration.create_invite(make_user("fern"))
    assert api_register(invite_code=invite.code).status_code == 200
    assert User.objects.get(username="basil").invited_by is not None


def test_the_api_takes_the_applicants_reason_in_approval_mode() -> None:
    configure(registration_mode="approval", approval_question="Which allotment is yours?")
    assert api_register().status_code == 422  # the reason is required
    response = api_register(reason="Plot 7.")
    assert response.status_code == 200
    assert Application.objects.get(username="basil").answer == "Plot 7."
    instance = Client().get("/api/v2/instance").json()
    assert instance["registrations"]["enabled"] is True
    assert instance["registrations"]["approval_required"] is True


def test_the_api_checks_the_date_of_birth_against_the_minimum_age() -> None:
    configure(min_age=16)
    young = (timezone.localdate() - timedelta(days=365 * 10)).isoformat()
    response = api_register(date_of_birth=young)
    assert response.status_code == 422
    assert response.json()["details"]["date_of_birth"][0]["error"] == "ERR_BELOW_LIMIT"
    old = (timezone.localdate() - timedelta(days=365 * 30)).isoformat()
    assert api_register(date_of_birth=old).status_code == 200


def test_instance_rules_are_the_sites_rules() -> None:
    site_actions.set_rules(None, [("Be kind.", "Gardeners help each other."), ("No spam.", "")])
    rules = Client().get("/api/v1/instance/rules").json()
    assert [rule["text"] for rule in rules] == ["Be kind.", "No spam."]
    assert rules[0]["hint"] == "Gardeners help each other."
    assert rules[0]["id"] == str(Rule.objects.get(text="Be kind.").pk)
