"""The site's settings at /admin/settings: who may open it, and that what is saved there is
what the site does (sign-up by registration mode, email domains, the age question, rules,
feature switches); bad input is a form error and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, make_user, sign_up_checks
from townsquare.accounts.models import StaffRole, User
from townsquare.site import features, state
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> User:
    return make_user("olga", role="admin")


def form(**changes: str | bool) -> dict[str, str]:
    """The settings form as a browser posts it: every field, with `changes`."""
    values: dict[str, str | bool] = {
        "name": "Chess Society",
        "description": "Games on Tuesday evenings",
        "contact_email": "secretary@chess.example",
        "default_language": "en",
        "registration_mode": "open",
        "approval_question": "",
        "invite_policy": "members",
        "allowed_email_domains": "",
        "blocked_email_domains": "",
        "min_age": "0",
        "signup_proof_of_work": True,
        "rules": "Be kind to beginners | Everyone was new once.\nNo engines during games",
        "feature_messages": True,
        "feature_groups": True,
        "feature_pages": True,
        "feature_events": True,
        "feature_friends_mode": False,
        "feature_video": True,
        "feature_polls": True,
        "feature_link_previews": True,
        "feature_public_timeline": True,
        "feature_post_search": True,
        "max_post_length": "",
        "max_media_per_post": "",
        "max_image_bytes": "",
        "max_video_bytes": "",
    }
    values.update(changes)
    posted = {}
    for key, value in values.items():
        if value is True:
            posted[key] = "on"
        elif value is not False:
            posted[key] = str(value)
    return posted


def save(actor: User, **changes: str | bool) -> int:
    response = client_of(actor).post("/admin/settings", form(**changes))
    state.forget()
    return response.status_code


def sign_up(email: str = "fern@example.org", **extra: str) -> Client:
    return Client().post(
        "/signup",
        {
            "username": "fern",
            "email": email,
            "password": PASSWORD,
            "agreement": "on",
            **sign_up_checks(),
            **extra,
        },
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("member", False), ("moderator", False), ("helper", False), ("keeper", True), ("admin", True)],
)
def test_who_may_open_and_save_the_settings(who: str, allowed: bool) -> None:
    def with_role(name: str, permissions: list[str]) -> User:
        user = make_user(name)
        user.staff_role = StaffRole.objects.create(name=name, permissions=permissions)
        user.save(update_fields=["staff_role"])
        return user

    actor = {
        "member": lambda: make_user("sam"),
        "moderator": lambda: make_user("mia", role="moderator"),
        "helper": lambda: with_role("hana", ["manage_users", "manage_appearance"]),
        "keeper": lambda: with_role("kit", ["manage_settings"]),
        "admin": lambda: make_user("olga", role="admin"),
    }[who]()
    assert client_of(actor).get("/admin/settings").status_code == (200 if allowed else 403)
    assert save(actor) == (302 if allowed else 403)
    assert (state.site_name() == "Chess Society") is allowed


def test_visitors_are_sent_to_log_in() -> None:
    response = Client().get("/admin/settings")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_the_form_shows_what_is_saved_and_saves_everything(admin: User) -> None:
    assert save(admin, min_age="16", invite_policy="staff") == 302
    row = state.site_settings()
    assert (row.name, row.contact_email, row.min_age, row.invite_policy) == (
        "Chess Society",
        "secretary@chess.example",
        16,
        "staff",
    )
    assert [(rule.text, rule.hint) for rule in Rule.objects.all()] == [
        ("Be kind to beginners", "Everyone was new once."),
        ("No engines during games", ""),
    ]
    page = text_of(client_of(admin).get("/admin/settings"))
    assert "Be kind to beginners | Everyone was new once." in page
    assert 'value="Chess Society"' in page
    rules_page = text_of(Client().get("/site/rules"))
    assert "No engines during games" in rules_page and "Everyone was new once." in rules_page
    # The age question appears at sign-up.
    assert "I am at least 16 years old." in text_of(Client().get("/signup"))


def test_closed_registration_closes_the_sign_up_page(admin: User) -> None:
    assert save(admin, registration_mode="closed") == 302
    response = Client().get("/signup")
    assert response.status_code == 403
    assert "New sign-ups are closed" in text_of(response)
    assert sign_up().status_code == 403
    assert not User.objects.filter(username="fern").exists()


def test_approval_mode_asks_the_question(admin: User) -> None:
    question = "Which openings do you like to play?"
    assert save(admin, registration_mode="approval", approval_question=question) == 302
    page = text_of(Client().get("/signup"))
    assert question in page and "Apply to join" in page
    assert sign_up(answer="The Sicilian").status_code == 200
    fern = User.objects.get(username="fern")
    assert not fern.is_active  # waits for a moderator


def test_a_blocked_email_domain_is_refused_at_sign_up(admin: User) -> None:
    assert save(admin, blocked_email_domains="spam.example\n@Junk.Example") == 302
    assert state.site_settings().blocked_email_domains == "spam.example\njunk.example"
    refused = sign_up("rook@mail.junk.example")
    assert refused.status_code == 400
    assert "not accepted here" in text_of(refused)
    assert not User.objects.filter(username="fern").exists()
    assert sign_up("fern@garden.example").status_code == 200


def test_allowed_domains_let_only_them_in(admin: User) -> None:
    assert save(admin, allowed_email_domains="chess.example") == 302
    assert sign_up("fern@garden.example").status_code == 400
    assert sign_up("fern@chess.example").status_code == 200


def test_a_bad_domain_is_a_form_error_and_nothing_is_saved(admin: User) -> None:
    assert save(admin) == 302
    response = client_of(admin).post(
        "/admin/settings",
        form(
            name="Renamed Society",
            blocked_email_domains="spam.example\nnot a domain",
            rules="Only this rule",
            feature_messages=False,
        ),
    )
    assert response.status_code == 400
    assert "“not a domain” is not an email domain." in text_of(response)
    state.forget()
    assert state.site_name() == "Chess Society"
    assert state.site_settings().blocked_email_domains == ""
    assert Rule.objects.count() == 2
    assert features.enabled("messages")


def test_errors_of_the_settings_and_of_the_rules_show_together(admin: User) -> None:
    long_rule = "Play fair " * 40
    response = client_of(admin).post(
        "/admin/settings", form(allowed_email_domains="-", rules=long_rule)
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "is not an email domain" in page and "A rule has at most 300 characters" in page
    assert not Rule.objects.exists()


def test_feature_switches_are_saved(admin: User) -> None:
    assert save(admin, feature_messages=False, feature_friends_mode=True) == 302
    assert not features.enabled("messages")
    assert features.enabled("friends_mode")
    assert client_of(admin).get("/messages").status_code == 404
    assert save(admin) == 302
    assert features.enabled("messages") and not features.enabled("friends_mode")


def test_the_page_says_when_the_configuration_keeps_sign_ups_closed(admin: User, settings) -> None:
    assert "Sign-ups stay closed" not in text_of(client_of(admin).get("/admin/settings"))
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "REGISTRATIONS_OPEN": False}
    page = text_of(client_of(admin).get("/admin/settings"))
    assert "Sign-ups stay closed for now" in page
    assert Client().get("/signup").status_code == 403


def test_the_sites_language_and_limits_are_saved_from_the_settings_page(admin: User) -> None:
    assert save(admin, default_language="fr", max_post_length="500", max_image_bytes="2") == 302
    row = state.site_settings()
    assert row.default_language == "fr"
    assert row.max_post_length == 500
    assert row.max_image_bytes == 2 * 1024 * 1024
    page = text_of(client_of(admin).get("/admin/settings"))
    assert 'name="max_post_length"' in page and 'value="500"' in page


def test_a_limit_out_of_bounds_or_an_unknown_language_is_a_form_error(admin: User) -> None:
    assert save(admin, max_post_length="0") == 400
    assert save(admin, default_language="tlh") == 400
    row = state.site_settings()
    assert row.max_post_length is None and row.default_language == "en"
    assert row.name == ""  # nothing else was saved either
