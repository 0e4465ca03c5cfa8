"""The first run: a one-time setup link leads the operator through the wizard (first admin,
the site's name and logo, who can join and the first rules); until it is done nobody signs up."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from tests.conftest import text_of
from tests.factories import PASSWORD, make_user
from townsquare.accounts.models import User
from townsquare.site import actions, state
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db


def png(size: tuple[int, int] = (800, 300)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 60)).save(out, "PNG")
    out.seek(0)
    out.name = "logo.png"
    return out


def admin_step(client: Client, token: str, **fields: str) -> object:
    data = {"username": "warden", "email": "warden@example.org", "password": PASSWORD, **fields}
    return client.post(f"/setup/{token}", data)


def test_a_new_site_needs_setting_up_until_it_has_an_admin() -> None:
    assert actions.setup_needed()
    make_user("warden", role="admin")
    assert not actions.setup_needed()


def test_nobody_signs_up_while_the_setup_link_is_outstanding() -> None:
    actions.start_setup()
    page = Client().get("/signup")
    assert page.status_code == 403
    assert "being set up" in text_of(page)
    # Apps cannot sign up either, and the instance tells them registrations are closed.
    from tests.test_registration import api_register

    refused = api_register()
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert not User.objects.filter(username="basil").exists()
    instance = Client().get("/api/v2/instance").json()
    assert instance["registrations"]["enabled"] is False


def test_the_wizard_sets_up_the_site_from_the_link() -> None:
    token = actions.start_setup()
    browser = Client()
    assert browser.get(f"/setup/{token}").status_code == 200
    response = admin_step(browser, token)
    assert response.status_code == 302 and response["Location"] == "/setup/site"
    warden = User.objects.get(username="warden")
    assert warden.is_admin and warden.email_confirmed
    # The link worked once.
    assert Client().get(f"/setup/{token}").status_code == 404
    assert (
        admin_step(Client(), token, username="intruder", email="x@example.org").status_code == 404
    )
    assert not User.objects.filter(username="intruder").exists()
    # Still no sign-ups until the wizard is finished.
    assert Client().get("/signup").status_code == 403

    response = browser.post(
        "/setup/site",
        {
            "name": "Elm Street Gardeners",
            "description": "Swapping seeds and tips.",
            "contact_email": "hello@elm-gardeners.example",
            "default_language": "fr",
            "logo": png(),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/setup/joining"
    row = state.site_settings()
    assert row.name == "Elm Street Gardeners"
    assert row.default_language == "fr"
    assert row.logo and default_storage.exists(row.logo)
    with default_storage.open(row.logo) as stored:
        assert max(Image.open(stored).size) <= 512  # kept within the logo's size

    response = browser.post(
        "/setup/joining",
        {
            "registration_mode": "approval",
            "approval_question": "Which street do you live on?",
            "rules": "Be kind.\n\nNo selling.\n",
        },
    )
    assert response.status_code == 302
    assert [rule.text for rule in Rule.objects.all()] == ["Be kind.", "No selling."]
    row = state.site_settings()
    assert row.setup_done_at is not None and row.registration_mode == "approval"
    # The site is open (for applications), under its new name.
    signup = Client().get("/signup", HTTP_ACCEPT_LANGUAGE="en")
    assert signup.status_code == 200
    assert "Join Elm Street Gardeners" in text_of(signup)
    assert "Which street do you live on?" in text_of(signup)
    # A browser asking for no language the site speaks gets the site's own: French.
    assert '<html lang="fr"' in text_of(Client().get("/signup", HTTP_ACCEPT_LANGUAGE="de"))
    # The wizard is over: its pages send the admin home.
    assert browser.get("/setup/site").status_code == 302
    assert not actions.setup_needed()


def test_a_wrong_or_missing_setup_link_is_refused() -> None:
    actions.start_setup()
    assert Client().get("/setup/not-the-token").status_code == 404
    assert admin_step(Client(), "not-the-token").status_code == 404
    assert not User.objects.exists()


def test_a_new_link_replaces_the_old_one() -> None:
    old = actions.start_setup()
    new = actions.start_setup()
    assert Client().get(f"/setup/{old}").status_code == 404
    assert Client().get(f"/setup/{new}").status_code == 200


def test_bad_input_in_the_wizard_is_a_form_error_and_changes_nothing() -> None:
    token = actions.start_setup()
    browser = Client()
    weak = admin_step(browser, token, password="123")
    assert weak.status_code == 400
    assert not User.objects.exists()
    assert actions.setup_token_valid(token)  # a mistake does not use up the link
    admin_step(browser, token)
    not_an_image = io.BytesIO(b"this is a letter, not a picture")
    not_an_image.name = "logo.png"
    response = browser.post(
        "/setup/site", {"name": "Chess Society", "default_language": "en", "logo": not_an_image}
    )
    assert response.status_code == 400
    assert "not an image" in text_of(response)
    assert state.site_settings().name == ""  # nothing half-saved
    long_rule = "x" * 301
    response = browser.post(
        "/setup/joining", {"registration_mode": "open", "rules": f"Be kind.\n{long_rule}"}
    )
    assert response.status_code == 400
    assert not Rule.objects.exists()
    assert state.site_settings().setup_done_at is None


def test_only_an_admin_continues_the_wizard() -> None:
    actions.start_setup()
    fern = make_user("fern")
    browser = Client()
    browser.force_login(fern)
    assert browser.get("/setup/site").status_code == 403
    assert browser.post("/setup/joining", {"registration_mode": "open"}).status_code == 403
    assert Client().get("/setup/site").status_code == 302  # a visitor goes to the login page


def test_setup_skip_from_the_command_line_opens_sign_ups() -> None:
    actions.start_setup()
    actions.finish_setup_from_command_line()
    assert Client().get("/signup").status_code == 200
    assert not actions.setup_needed()
