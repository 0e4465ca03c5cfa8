"""Accounts through the web pages: sign-up and confirmation, logging in and out, throttling,
password reset, password and email changes, and the list of signed-in sessions."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core import mail
from django.core.mail import EmailMessage
from django.http import HttpResponse
from django.test import Client

from tests.factories import PASSWORD, make_user, run_jobs, sign_up_checks
from townsquare import settings as site_settings
from townsquare.accounts.models import User, UserSession
from townsquare.core import ratelimit

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "rooks-and-bishops-77"
FORM_TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- helpers -----------------------------------------------------------------------------


def text_of(response: HttpResponse) -> str:
    return response.content.decode()


def form_token(response: HttpResponse) -> str:
    match = FORM_TOKEN_RE.search(text_of(response))
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def emails_to(address: str) -> list[EmailMessage]:
    """Run the queued jobs (mail is sent by jobs), then the messages sent to `address`."""
    run_jobs()
    return [message for message in mail.outbox if address in message.to]


def link_in(message: EmailMessage) -> str:
    """The site path of the link in an email."""
    match = re.search(re.escape(settings.BASE_URL) + r"(/\S+)", str(message.body))
    assert match, f"no link in: {message.body}"
    return match.group(1)


def without_tokens(text: str) -> str:
    """A page with its per-response CSRF tokens blanked, to compare two responses."""
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", text)


def sign_up(
    client: Client,
    username: str = "fern",
    email: str = "fern@example.org",
    password: str = PASSWORD,
) -> HttpResponse:
    return client.post(
        "/signup",
        {
            "username": username,
            "email": email,
            "password": password,
            "agreement": "on",
            **sign_up_checks(),
        },
    )


def log_in(
    client: Client, login: str = "fern", password: str = PASSWORD, **extra: str
) -> HttpResponse:
    return client.post("/login", {"login": login, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    """Whether this browser is signed in (a members-only page answers instead of redirecting)."""
    response = client.get("/settings/account")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def change_password(client: Client, old: str, new: str) -> HttpResponse:
    return client.post(
        "/settings/account",
        {"form": "password", "pw-old_password": old, "pw-new_password": new},
    )


def change_email(client: Client, email: str, password: str = PASSWORD) -> HttpResponse:
    return client.post(
        "/settings/account", {"form": "email", "em-email": email, "em-password": password}
    )


# The site's own hashers (the test settings put a cheaper argon2 first).
REAL_HASHERS = list(site_settings.PASSWORD_HASHERS)


@pytest.fixture(autouse=True)
def _quick_hashing(settings) -> None:
    """Cheap password hashing: argon2 costs a noticeable part of a second per login, and
    these tests log in a lot. Tests that check the stored hash use `argon2_hashing`."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def argon2_hashing(settings, _quick_hashing: None) -> None:
    """The site's real password hashers (argon2 first)."""
    settings.PASSWORD_HASHERS = REAL_HASHERS
    assert REAL_HASHERS[0].endswith("Argon2PasswordHasher")


# --- sign-up -----------------------------------------------------------------------------


def test_sign_up_sends_a_link_that_confirms_the_account() -> None:
    client = Client()
    assert client.get("/signup").status_code == 200
    response = sign_up(client)
    assert response.status_code == 200
    assert "We sent a link to <strong>fern@example.org</strong>" in text_of(response)
    user = User.objects.get(username="fern")
    assert not user.email_confirmed

    [message] = emails_to("fern@example.org")
    assert "fern" in str(message.body)
    opened = client.get(link_in(message), follow=True)
    assert opened.redirect_chain == [("/login", 302)]
    assert "your email address is confirmed" in text_of(opened)
    user.refresh_from_db()
    assert user.email_confirmed

    assert log_in(client).status_code == 302
    assert signed_in(client)


def test_cannot_log_in_before_confirming_the_email() -> None:
    client = Client()
    sign_up(client)
    response = log_in(client)
    assert response.status_code == 400
    page = text_of(response)
    assert "Please confirm your email address first" in page
    assert 'href="/confirm/resend"' in page
    assert not signed_in(client)
    assert not UserSession.objects.exists()


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("", "This field is required."),
        ("a" * 31, "Ensure this value has at most 30 characters"),
        ("fern-leaf", "Use 1 to 30 letters, digits or underscores."),
        ("fern leaf", "Use 1 to 30 letters, digits or underscores."),
        ("fern.leaf", "Use 1 to 30 letters, digits or underscores."),
        ("rook!", "Use 1 to 30 letters, digits or underscores."),
        ("émile", "Use 1 to 30 letters, digits or underscores."),
        ("12345", "A username needs at least one letter."),
        ("0", "A username needs at least one letter."),
        ("admin", "That username is reserved."),
        ("Admin", "That username is reserved."),
        ("api", "That username is reserved."),
        ("settings", "That username is reserved."),
        ("SETTINGS", "That username is reserved."),
    ],
)
def test_sign_up_refuses_bad_usernames_on_the_form(username: str, error: str) -> None:
    response = sign_up(Client(), username=username)
    assert response.status_code == 400
    assert error in text_of(response)
    assert not User.objects.exists()
    assert not emails_to("fern@example.org")


@pytest.mark.parametrize("username", ["a", "z" * 30, "Fern_2", "2fern", "_", "chess_club_1"])
def test_sign_up_accepts_good_usernames(username: str) -> None:
    response = sign_up(Client(), username=username)
    assert response.status_code == 200
    assert User.objects.get().username == username


@pytest.mark.parametrize(
    ("existing", "wanted"), [("fern", "Fern"), ("fern", "FERN"), ("Fern", "fern")]
)
def test_usernames_are_unique_whatever_the_letter_case(existing: str, wanted: str) -> None:
    make_user(existing)
    response = sign_up(Client(), username=wanted, email="other@example.org")
    assert response.status_code == 400
    assert "That username is taken." in text_of(response)
    assert User.objects.count() == 1


def test_an_email_address_can_only_be_used_once() -> None:
    make_user("fern")
    response = sign_up(Client(), username="moss", email="FERN@Example.org")
    assert response.status_code == 400
    assert "That email address is already in use." in text_of(response)
    assert not User.objects.filter(username="moss").exists()


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("short", "Ensure this value has at least 8 characters"),
        ("password", "This password is too common."),
        ("12345678", "This password is entirely numeric."),
        ("fern@example.org", "The password is too similar to the"),
    ],
)
def test_sign_up_refuses_weak_passwords(password: str, error: str) -> None:
    response = sign_up(Client(), password=password)
    assert response.status_code == 400
    assert error in text_of(response)
    assert not User.objects.exists()


def test_sign_up_with_a_bad_email_shows_a_form_error() -> None:
    response = sign_up(Client(), email="not-an-address")
    assert response.status_code == 400
    assert "Enter a valid email address." in text_of(response)


def test_resend_page_sends_a_new_link_and_does_not_reveal_who_has_an_account() -> None:
    client = Client()
    sign_up(client)  # fern, not confirmed yet
    make_user("moss")  # confirmed already
    run_jobs()
    mail.outbox.clear()

    assert client.get("/confirm/resend").status_code == 200
    pages = set()
    for address in ("FERN@example.org", "moss@example.org", "nobody@example.org"):
        response = client.post("/confirm/resend", {"email": address})
        assert response.status_code == 200
        pages.add(without_tokens(text_of(response)).replace(address, "ADDRESS"))
    assert len(pages) == 1, "the answer differs between known and unknown addresses"

    [message] = emails_to("fern@example.org")
    assert len(mail.outbox) == 1
    assert client.get(link_in(message)).status_code == 302
    assert User.objects.get(username="fern").email_confirmed


def test_resend_with_a_bad_address_is_a_form_error() -> None:
    response = Client().post("/confirm/resend", {"email": "garden club"})
    assert response.status_code == 400
    assert "Enter a valid email address." in text_of(response)


def test_too_many_sign_ups_from_one_address_is_a_form_error() -> None:
    client = Client(REMOTE_ADDR="203.0.113.50")
    limit = ratelimit.SIGNUPS_PER_IP.count
    for i in range(limit):
        response = sign_up(client, username=f"gardener_{i}", email=f"gardener{i}@example.org")
        assert response.status_code == 200
    refused = sign_up(client, username="one_more", email="one.more@example.org")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "try again" in text_of(refused).lower()
    assert not User.objects.filter(username="one_more").exists()
    elsewhere = sign_up(Client(REMOTE_ADDR="198.51.100.50"), "one_more", "one.more@example.org")
    assert elsewhere.status_code == 200


# --- logging in and out ------------------------------------------------------------------


@pytest.mark.parametrize(
    "login", ["fern", "FERN", "Fern", "@fern", "fern@example.org", "FERN@EXAMPLE.ORG"]
)
def test_log_in_with_username_or_email_in_any_case(login: str) -> None:
    user = make_user("fern", password=PASSWORD)
    client = Client()
    assert client.get("/login").status_code == 200
    response = log_in(client, login)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in(client)
    assert UserSession.objects.get().user == user


def test_wrong_password_is_a_form_error() -> None:
    make_user("fern", password=PASSWORD)
    client = Client()
    response = log_in(client, "fern", "not-the-password")
    assert response.status_code == 400
    assert "That username or email and password do not match." in text_of(response)
    assert not signed_in(client)


def test_unknown_account_gives_the_same_error_as_a_wrong_password() -> None:
    response = log_in(Client(), "nobody", "not-the-password")
    assert response.status_code == 400
    assert "That username or email and password do not match." in text_of(response)


def test_after_ten_failed_logins_the_account_is_refused_even_with_the_right_password() -> None:
    make_user("fern", password=PASSWORD)
    make_user("moss", password=PASSWORD)
    client = Client()
    for _ in range(10):
        response = log_in(client, "fern", "guessing-a-password")
        assert response.status_code == 400
        assert "do not match" in text_of(response)

    refused = log_in(client, "fern", PASSWORD)
    assert refused.status_code == 400
    assert "Try again" in text_of(refused)
    assert not signed_in(client)
    # A stranger's guesses do not lock the owner out: from another address fern gets in...
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert log_in(elsewhere, "fern", PASSWORD).status_code == 302
    # ...and another member logging in from the same address is not affected.
    neighbour = Client()
    assert log_in(neighbour, "moss").status_code == 302


def test_failed_logins_count_against_the_account_whatever_name_is_typed() -> None:
    """Per account means per account: the username, the email and their spellings share one
    counter, or an attacker gets ten guesses per spelling."""
    make_user("fern", password=PASSWORD)
    client = Client()
    for _ in range(10):
        assert log_in(client, "fern", "guessing-a-password").status_code == 400

    refused = log_in(client, "Fern@Example.org", PASSWORD)
    assert refused.status_code == 400
    assert "Try again" in text_of(refused)


@pytest.fixture
def one_rate_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate limits count in fixed windows of time: a test that makes a limit's worth of
    attempts (each a password check, slow on a busy machine) stays inside one window, as
    attempts made in quick succession do, instead of failing when a window ends mid-test."""
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))


def test_guessing_one_account_from_many_addresses_is_throttled_too(
    one_rate_window: None,
) -> None:
    make_user("fern", password=PASSWORD)
    ceiling = ratelimit.LOGIN_FAILURES_PER_ACCOUNT_ANYWHERE.count
    for i in range(ceiling):  # 5 guesses from each of many addresses
        client = Client(REMOTE_ADDR=f"198.51.100.{i // 5 + 1}")
        assert log_in(client, "fern", "guessing-a-password").status_code == 400
    refused = log_in(Client(REMOTE_ADDR="192.0.2.200"), "fern", PASSWORD)
    assert refused.status_code == 400
    assert "Try again" in text_of(refused)


def test_failed_logins_are_throttled_per_address(one_rate_window: None) -> None:
    make_user("fern", password=PASSWORD)
    limit = ratelimit.LOGIN_FAILURES_PER_IP.count
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(limit):  # a different account each time: only the address limit applies
        assert log_in(client, f"chess_player{i}", "guessing-a-password").status_code == 400

    refused = log_in(client, "fern", PASSWORD)
    assert refused.status_code == 400
    assert "Try again" in text_of(refused)
    assert not signed_in(client)

    elsewhere = Client(REMOTE_ADDR="198.51.100.22")
    assert log_in(elsewhere, "fern", PASSWORD).status_code == 302


def test_log_out_is_post_only() -> None:
    make_user("fern", password=PASSWORD)
    client = Client()
    log_in(client)
    assert client.get("/logout").status_code == 405
    assert signed_in(client)

    response = client.post("/logout")
    assert response.status_code == 302
    assert not signed_in(client)
    assert not UserSession.objects.exists()


def test_forms_without_a_csrf_token_are_refused_and_real_forms_work() -> None:
    make_user("fern", password=PASSWORD)
    browser = Client(enforce_csrf_checks=True)

    # A cross-site POST (no cookie, no token) and one with the cookie but no token: refused.
    refused = log_in(browser)
    assert refused.status_code == 403
    page = browser.get("/login")
    assert page.status_code == 200
    refused = log_in(browser)
    assert refused.status_code == 403
    assert "This form expired or was sent from another site" in text_of(refused)
    assert not signed_in(browser)

    # The real form, with its token, logs in.
    response = browser.post(
        "/login", {"login": "fern", "password": PASSWORD, "csrfmiddlewaretoken": form_token(page)}
    )
    assert response.status_code == 302
    assert signed_in(browser)

    # Logging out also needs the token (the token changes at log in: read it from a page).
    assert browser.post("/logout").status_code == 403
    assert signed_in(browser)
    home = browser.get("/")
    assert browser.post("/logout", {"csrfmiddlewaretoken": form_token(home)}).status_code == 302
    assert not signed_in(browser)


def test_the_whole_sign_up_through_real_forms_with_csrf_checks() -> None:
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/signup")
    response = browser.post(
        "/signup",
        {
            "username": "chess_club",
            "email": "chess@example.org",
            "password": PASSWORD,
            "agreement": "on",
            "csrfmiddlewaretoken": form_token(page),
            **sign_up_checks(),
        },
    )
    assert response.status_code == 200
    [message] = emails_to("chess@example.org")
    assert browser.get(link_in(message)).status_code == 302
    page = browser.get("/login")
    response = browser.post(
        "/login",
        {"login": "chess_club", "password": PASSWORD, "csrfmiddlewaretoken": form_token(page)},
    )
    assert response.status_code == 302
    assert signed_in(browser)


# --- password reset ----------------------------------------------------------------------


def test_password_reset_link_sets_a_new_argon2_password_and_works_once(
    argon2_hashing: None,
) -> None:
    user = make_user("fern", password=PASSWORD)
    client = Client()
    assert client.get("/password/reset").status_code == 200
    sent = client.post("/password/reset", {"email": "FERN@example.org"})
    assert sent.status_code == 200
    [message] = emails_to("fern@example.org")
    link = link_in(message)
    assert link.startswith("/password/reset/")

    assert client.get(link).status_code == 200
    done = client.post(link, {"new_password": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/login"
    user.refresh_from_db()
    assert user.password.startswith("argon2")
    # The site's own cost (the suite's quicker argon2 is not in play here).
    stored = Argon2PasswordHasher().decode(user.password)
    assert stored["memory_cost"] == Argon2PasswordHasher.memory_cost
    assert stored["time_cost"] == Argon2PasswordHasher.time_cost
    assert user.check_password(NEW_PASSWORD)

    # The link is spent.
    again = Client()
    assert again.get(link).status_code == 400
    reused = again.post(link, {"new_password": "another-garden-path-9"})
    assert reused.status_code == 400
    assert "invalid or has been used" in text_of(reused)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    assert log_in(Client(), "fern", PASSWORD).status_code == 400
    assert log_in(client, "fern", NEW_PASSWORD).status_code == 302


def test_password_reset_with_a_weak_password_is_a_form_error_and_the_link_still_works() -> None:
    user = make_user("fern", password=PASSWORD)
    client = Client()
    client.post("/password/reset", {"email": "fern@example.org"})
    link = link_in(emails_to("fern@example.org")[0])
    weak = client.post(link, {"new_password": "password"})
    assert weak.status_code == 400
    assert "This password is too common." in text_of(weak)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert client.post(link, {"new_password": NEW_PASSWORD}).status_code == 302


def test_password_reset_answers_the_same_for_unknown_addresses() -> None:
    make_user("fern")
    client = Client()
    known = client.post("/password/reset", {"email": "fern@example.org"})
    unknown = client.post("/password/reset", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(text_of(known)) == without_tokens(text_of(unknown))
    run_jobs()
    assert [message.to for message in mail.outbox] == [["fern@example.org"]]


def test_too_many_reset_requests_from_one_address_is_a_form_error() -> None:
    make_user("fern")
    client = Client(REMOTE_ADDR="203.0.113.51")
    for _ in range(ratelimit.PASSWORD_RESETS_PER_IP.count):
        assert client.post("/password/reset", {"email": "nobody@example.org"}).status_code == 200
    refused = client.post("/password/reset", {"email": "fern@example.org"})
    assert refused.status_code == 400
    assert "try again" in text_of(refused).lower()
    assert not emails_to("fern@example.org")


def test_password_reset_ends_every_session() -> None:
    make_user("fern", password=PASSWORD)
    browser = Client()
    log_in(browser)
    helper = Client()
    helper.post("/password/reset", {"email": "fern@example.org"})
    helper.post(link_in(emails_to("fern@example.org")[0]), {"new_password": NEW_PASSWORD})
    assert not signed_in(browser)
    assert not UserSession.objects.exists()


# --- password and email changes ----------------------------------------------------------


def test_change_password_needs_the_old_one_and_signs_out_other_browsers(
    argon2_hashing: None,
) -> None:
    user = make_user("fern", password=PASSWORD)
    here, there = Client(), Client()
    assert log_in(here).status_code == 302
    assert log_in(there).status_code == 302

    wrong = change_password(here, "not-my-password", NEW_PASSWORD)
    assert wrong.status_code == 400
    assert "Your current password is not right." in text_of(wrong)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert signed_in(there)

    weak = change_password(here, PASSWORD, "12345678")
    assert weak.status_code == 400
    assert "This password is entirely numeric." in text_of(weak)

    done = change_password(here, PASSWORD, NEW_PASSWORD)
    assert done.status_code == 302
    assert done["Location"] == "/settings/account"
    user.refresh_from_db()
    assert user.password.startswith("argon2")
    # The site's own cost (the suite's quicker argon2 is not in play here).
    stored = Argon2PasswordHasher().decode(user.password)
    assert stored["memory_cost"] == Argon2PasswordHasher.memory_cost
    assert stored["time_cost"] == Argon2PasswordHasher.time_cost
    assert user.check_password(NEW_PASSWORD)
    assert signed_in(here)
    assert not signed_in(there)


def test_after_a_password_change_this_browser_stays_in_the_sessions_list() -> None:
    """The session key changes when the password does; the sessions list must follow it, or
    this browser can no longer be signed out from another one."""
    user = make_user("fern", password=PASSWORD)
    here = Client(HTTP_USER_AGENT="GardenFox/1.0 (allotment laptop)")
    log_in(here)
    assert change_password(here, PASSWORD, NEW_PASSWORD).status_code == 302

    [row] = UserSession.objects.filter(user=user)
    assert row.session_key == here.session.session_key
    assert "This browser" in text_of(here.get("/settings/sessions"))

    there = Client(HTTP_USER_AGENT="ChessBrowser/2.0 (club phone)")
    assert log_in(there, "fern", NEW_PASSWORD).status_code == 302
    there.post("/settings/sessions/end", {"all": "1"})
    assert not signed_in(here)
    assert signed_in(there)


def test_change_email_takes_effect_only_when_the_new_address_confirms() -> None:
    user = make_user("fern", password=PASSWORD)
    client = Client()
    log_in(client)

    wrong = change_email(client, "fern.green@example.org", password="not-my-password")
    assert wrong.status_code == 400
    assert "Your current password is not right." in text_of(wrong)
    assert not emails_to("fern.green@example.org")

    asked = change_email(client, "fern.green@example.org")
    assert asked.status_code == 302
    user.refresh_from_db()
    assert user.email == "fern@example.org"
    [message] = emails_to("fern.green@example.org")
    # the old address is told of the request, but gets no link that could confirm it
    assert all("/confirm/" not in message.body for message in emails_to("fern@example.org"))

    opened = client.get(link_in(message))
    assert opened.status_code == 302
    user.refresh_from_db()
    assert user.email == "fern.green@example.org"
    assert user.email_confirmed
    assert log_in(Client(), "fern.green@example.org").status_code == 302


def test_change_email_refuses_an_address_in_use() -> None:
    make_user("fern", password=PASSWORD)
    make_user("moss")
    client = Client()
    log_in(client)
    response = change_email(client, "MOSS@example.org")
    assert response.status_code == 400
    assert "That email address is already in use." in text_of(response)
    assert not emails_to("MOSS@example.org") and not emails_to("moss@example.org")


def test_change_email_link_is_refused_when_the_address_was_taken_meanwhile() -> None:
    user = make_user("fern", password=PASSWORD)
    client = Client()
    log_in(client)
    change_email(client, "shared@example.org")
    link = link_in(emails_to("shared@example.org")[0])
    make_user("shared")  # someone else signs up with that address before fern opens the link

    response = client.get(link)
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email == "fern@example.org"


def test_an_older_email_change_link_cannot_override_a_newer_confirmed_address() -> None:
    """A member mistypes the new address (a stranger's inbox), asks again with the right one
    and confirms it. The stranger's link must not move the account to the stranger's inbox
    (from where a password reset would take the account over)."""
    user = make_user("fern", password=PASSWORD)
    client = Client()
    log_in(client)
    change_email(client, "fern@exmaple.org")  # typo
    change_email(client, "fern.green@example.org")
    typo_link = link_in(emails_to("fern@exmaple.org")[0])
    right_link = link_in(emails_to("fern.green@example.org")[0])
    client.get(right_link)
    user.refresh_from_db()
    assert user.email == "fern.green@example.org"

    response = Client().get(typo_link)
    user.refresh_from_db()
    assert user.email == "fern.green@example.org"
    assert response.status_code == 400


def test_account_settings_post_without_a_form_name_is_a_400() -> None:
    user = make_user("fern")
    client = Client()
    client.force_login(user)
    assert client.post("/settings/account", {"form": "garden"}).status_code == 400


# --- sessions ----------------------------------------------------------------------------


def two_browsers() -> tuple[Client, Client]:
    here = Client(HTTP_USER_AGENT="GardenFox/1.0 (allotment laptop)")
    there = Client(HTTP_USER_AGENT="ChessBrowser/2.0 (club phone)", REMOTE_ADDR="198.51.100.5")
    assert log_in(here).status_code == 302
    assert log_in(there).status_code == 302
    return here, there


def test_sessions_list_shows_each_signed_in_browser() -> None:
    user = make_user("fern", password=PASSWORD)
    here, _there = two_browsers()
    response = here.get("/settings/sessions")
    assert response.status_code == 200
    page = text_of(response)
    assert "GardenFox/1.0" in page
    assert "ChessBrowser/2.0" in page
    assert "198.51.100.5" in page
    assert page.count("This browser") == 1
    assert UserSession.objects.filter(user=user).count() == 2


def test_log_out_everywhere_else_ends_the_other_sessions_and_keeps_this_one() -> None:
    user = make_user("fern", password=PASSWORD)
    here, there = two_browsers()
    response = here.post("/settings/sessions/end", {"all": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/settings/sessions"

    assert not signed_in(there)
    assert there.get("/").wsgi_request.user.is_anonymous
    assert signed_in(here)
    [row] = UserSession.objects.filter(user=user)
    assert row.session_key == here.session.session_key
    page = text_of(here.get("/settings/sessions"))
    assert "GardenFox/1.0" in page
    assert "ChessBrowser/2.0" not in page


def test_ending_one_session_by_id() -> None:
    user = make_user("fern", password=PASSWORD)
    here, there = two_browsers()
    theirs = UserSession.objects.get(user=user, session_key=there.session.session_key)
    page = text_of(here.get("/settings/sessions"))
    assert f'name="session" value="{theirs.pk}"' in page

    response = here.post("/settings/sessions/end", {"session": str(theirs.pk)})
    assert response.status_code == 302
    assert not signed_in(there)
    assert signed_in(here)
    assert UserSession.objects.filter(user=user).count() == 1


def test_ending_this_browsers_own_session_by_id_keeps_it() -> None:
    user = make_user("fern", password=PASSWORD)
    here, there = two_browsers()
    mine = UserSession.objects.get(user=user, session_key=here.session.session_key)
    here.post("/settings/sessions/end", {"session": str(mine.pk)})
    assert signed_in(here)
    assert signed_in(there)


def test_sessions_pages_need_a_signed_in_member_and_end_is_post_only() -> None:
    anonymous = Client()
    response = anonymous.get("/settings/sessions")
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")
    assert anonymous.post("/settings/sessions/end", {"all": "1"}).status_code == 302

    make_user("fern", password=PASSWORD)
    here, _there = two_browsers()
    assert here.get("/settings/sessions/end").status_code == 405
    assert UserSession.objects.count() == 2
