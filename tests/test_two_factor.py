"""Two-factor authentication: setting it up with an authenticator app, logging in with its
codes or a recovery code, turning it off, the password grant, and staff required to use it."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, make_user
from townsquare.accounts import two_factor
from townsquare.accounts.models import RecoveryCode, TwoFactor, User
from townsquare.site import actions as site_actions
from townsquare.site import state

pytestmark = pytest.mark.django_db


class Clock:
    """The authenticator's time step, moved by the test (30 seconds a step)."""

    def __init__(self) -> None:
        self.step = two_factor.current_step()

    def __call__(self, at: float | None = None) -> int:
        return self.step


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    now = Clock()
    monkeypatch.setattr(two_factor, "current_step", now)
    yield now


@pytest.fixture
def hazel() -> User:
    """A member of the gardening club who logs in with a password."""
    return make_user("hazel", password=PASSWORD)


def code_for(user: User, step: int) -> str:
    return two_factor.totp(TwoFactor.objects.get(user=user).secret, step)


def log_in(client: Client, login: str = "hazel", password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/login", {"login": login, "password": password, **extra})


def signed_in(client: Client) -> bool:
    response = client.get("/settings/account")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def set_up(client: Client, user: User, clock: Clock) -> list[str]:
    """Turn two-factor authentication on from the settings page; the recovery codes shown."""
    assert client.post("/settings/two-factor", {"action": "start"}).status_code == 302
    page = client.get("/settings/two-factor")
    assert page.status_code == 200
    secret = TwoFactor.objects.get(user=user).secret
    assert re.sub(r"\s", "", _secret_on(text_of(page))) == secret
    assert "data:image/svg+xml" in text_of(page)  # the QR code
    response = client.post(
        "/settings/two-factor",
        {
            "action": "confirm",
            "confirm-code": two_factor.totp(secret, clock.step),
            "confirm-password": PASSWORD,
        },
    )
    assert response.status_code == 200, text_of(response)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", text_of(response))
    assert len(codes) == 10
    assert two_factor.is_enabled(user)
    return codes


def _secret_on(html: str) -> str:
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert found, html
    return found.group(1)


def with_two_factor(user: User, clock: Clock) -> list[str]:
    """`user` with two-factor authentication on (set up through the actions)."""
    two_factor.start_setup(user)
    codes = two_factor.confirm_setup(user, PASSWORD, code_for(user, clock.step))
    clock.step += 1
    return codes


def test_the_codes_are_those_of_rfc_6238() -> None:
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert two_factor.totp(secret, 59 // 30) == "287082"
    assert two_factor.totp(secret, 1111111109 // 30) == "081804"
    assert two_factor.totp(secret, 1234567890 // 30) == "005924"
    assert two_factor.totp(secret, 2000000000 // 30) == "279037"


def test_set_up_and_log_in_with_a_code(hazel: User, clock: Clock) -> None:
    browser = Client()
    assert log_in(browser).status_code == 302
    set_up(browser, hazel, clock)
    browser.post("/logout")

    visitor = Client()
    response = log_in(visitor, next="/settings/sessions")
    assert response.status_code == 302
    assert response["Location"] == "/login/code"
    assert not signed_in(visitor)  # the password alone does not log in
    page = visitor.get("/login/code")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in text_of(page)

    clock.step += 1
    answer = visitor.post("/login/code", {"code": code_for(hazel, clock.step)})
    assert answer.status_code == 302
    assert answer["Location"] == "/settings/sessions"  # where they were going
    assert signed_in(visitor)


def test_the_settings_page_does_not_show_the_secret_once_it_is_on(
    hazel: User, clock: Clock
) -> None:
    browser = client_of(hazel)
    set_up(browser, hazel, clock)
    page = text_of(browser.get("/settings/two-factor"))
    secret = TwoFactor.objects.get(user=hazel).secret
    assert secret not in page.replace(" ", "")
    assert "data:image/svg+xml" not in page
    assert "You have 10 recovery codes left." in page


def test_setting_up_needs_the_password_and_a_right_code(hazel: User, clock: Clock) -> None:
    browser = client_of(hazel)
    browser.post("/settings/two-factor", {"action": "start"})
    secret = TwoFactor.objects.get(user=hazel).secret
    right = two_factor.totp(secret, clock.step)
    wrong_code = str((int(right) + 1) % 1_000_000).zfill(6)
    for code, password in ((right, "not-my-password"), (wrong_code, PASSWORD)):
        response = browser.post(
            "/settings/two-factor",
            {"action": "confirm", "confirm-code": code, "confirm-password": password},
        )
        assert response.status_code == 400
        assert not two_factor.is_enabled(hazel)
    assert not RecoveryCode.objects.filter(user=hazel).exists()


def test_a_wrong_code_is_refused_and_counted_like_a_failed_login(hazel: User, clock: Clock) -> None:
    with_two_factor(hazel, clock)
    visitor = Client()
    log_in(visitor)
    right = code_for(hazel, clock.step)
    wrong = str((int(right) + 1) % 1_000_000).zfill(6)
    for _attempt in range(10):
        response = visitor.post("/login/code", {"code": wrong})
        assert response.status_code == 400
        assert "That code is not right" in text_of(response)
        assert not signed_in(visitor)
    # Ten failures: even the right code, and the password, are refused for now.
    refused = visitor.post("/login/code", {"code": right})
    assert refused.status_code == 400
    assert "Try again in" in text_of(refused)
    assert not signed_in(visitor)
    again = log_in(visitor)
    assert again.status_code == 400
    assert "Try again in" in text_of(again)


def test_the_right_password_does_not_reset_the_count_of_wrong_codes(
    hazel: User, clock: Clock
) -> None:
    """Otherwise the password buys ten more guesses of the code, again and again."""
    with_two_factor(hazel, clock)
    visitor = Client()
    right = code_for(hazel, clock.step)
    wrong = str((int(right) + 1) % 1_000_000).zfill(6)
    for _round in range(2):
        assert log_in(visitor).status_code == 302
        for _attempt in range(5):
            assert visitor.post("/login/code", {"code": wrong}).status_code == 400
    log_in(visitor)
    assert "Try again in" in text_of(visitor.post("/login/code", {"code": right}))


def test_a_code_cannot_be_used_twice(hazel: User, clock: Clock) -> None:
    with_two_factor(hazel, clock)
    code = code_for(hazel, clock.step)
    first = Client()
    log_in(first)
    assert first.post("/login/code", {"code": code}).status_code == 302
    assert signed_in(first)
    # Someone who saw the code over the shoulder, within the same 30 seconds:
    second = Client(REMOTE_ADDR="198.51.100.7")
    log_in(second)
    response = second.post("/login/code", {"code": code})
    assert response.status_code == 400
    assert not signed_in(second)
    # Nor an earlier code still inside the window.
    clock.step += 1
    assert not two_factor.verify_code(hazel, code_for(hazel, clock.step - 2))
    assert two_factor.verify_code(hazel, code_for(hazel, clock.step))


def test_codes_one_step_either_side_are_accepted(hazel: User, clock: Clock) -> None:
    with_two_factor(hazel, clock)
    clock.step += 5
    assert not two_factor.verify_code(hazel, code_for(hazel, clock.step - 2))
    assert two_factor.verify_code(hazel, code_for(hazel, clock.step - 1))
    assert two_factor.verify_code(hazel, code_for(hazel, clock.step + 1))
    assert not two_factor.verify_code(hazel, code_for(hazel, clock.step + 2))


def test_a_recovery_code_works_once(hazel: User, clock: Clock) -> None:
    codes = with_two_factor(hazel, clock)
    visitor = Client()
    log_in(visitor)
    assert visitor.post("/login/code", {"code": codes[3].upper()}).status_code == 302
    assert signed_in(visitor)
    visitor.post("/logout")
    log_in(visitor)
    again = visitor.post("/login/code", {"code": codes[3]})
    assert again.status_code == 400
    assert not signed_in(visitor)
    assert two_factor.recovery_codes_left(hazel) == 9
    # Stored only as hashes.
    stored = list(RecoveryCode.objects.filter(user=hazel).values_list("code_hash", flat=True))
    assert not any(code.replace("-", "") in stored for code in codes)


def test_new_recovery_codes_replace_the_old_ones(hazel: User, clock: Clock) -> None:
    old = with_two_factor(hazel, clock)
    browser = client_of(hazel)
    response = browser.post(
        "/settings/two-factor",
        {"action": "regenerate", "regenerate-code": code_for(hazel, clock.step)},
    )
    assert response.status_code == 200
    new = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", text_of(response))
    assert len(new) == 10 and not set(new) & set(old)
    assert not two_factor.use_recovery_code(hazel, old[0])
    assert two_factor.use_recovery_code(hazel, new[0])


def test_turning_it_off_needs_the_password(hazel: User, clock: Clock) -> None:
    codes = with_two_factor(hazel, clock)
    browser = client_of(hazel)
    refused = browser.post(
        "/settings/two-factor",
        {"action": "disable", "disable-password": "a-guess", "disable-code": codes[0]},
    )
    assert refused.status_code == 400
    assert "That password is not right." in text_of(refused)
    assert two_factor.is_enabled(hazel)
    no_code = browser.post(
        "/settings/two-factor",
        {"action": "disable", "disable-password": PASSWORD, "disable-code": "123456"},
    )
    assert no_code.status_code == 400
    assert two_factor.is_enabled(hazel)
    done = browser.post(
        "/settings/two-factor",
        {"action": "disable", "disable-password": PASSWORD, "disable-code": codes[1]},
    )
    assert done.status_code == 302
    assert not two_factor.is_enabled(hazel)
    assert not RecoveryCode.objects.filter(user=hazel).exists()
    # The password alone logs in again.
    visitor = Client()
    assert log_in(visitor)["Location"] == "/"
    assert signed_in(visitor)


def test_the_half_logged_in_state_opens_no_page(hazel: User, clock: Clock) -> None:
    hazel.role = "admin"
    hazel.save(update_fields=["role"])
    with_two_factor(hazel, clock)
    visitor = Client()
    log_in(visitor)
    for path in ("/settings/account", "/settings/two-factor", "/admin", "/admin/members"):
        response = visitor.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login"), path
    assert "_auth_user_id" not in visitor.session
    assert not signed_in(visitor)


def test_the_half_logged_in_state_expires_after_five_minutes(
    hazel: User, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_two_factor(hazel, clock)
    visitor = Client()
    log_in(visitor)
    import time

    from townsquare.web.views import two_factor as views

    later = time.time() + 5 * 60 + 1
    monkeypatch.setattr(views.time, "time", lambda: later)
    response = visitor.post("/login/code", {"code": code_for(hazel, clock.step)})
    assert response.status_code == 302
    assert response["Location"] == "/login"
    assert not signed_in(visitor)


def test_a_password_reset_between_the_steps_voids_the_first(hazel: User, clock: Clock) -> None:
    with_two_factor(hazel, clock)
    visitor = Client()
    log_in(visitor)
    hazel.set_password("a-new-password-for-the-allotment")
    hazel.save()
    response = visitor.post("/login/code", {"code": code_for(hazel, clock.step)})
    assert response["Location"] == "/login"
    assert not signed_in(visitor)


def test_the_code_page_without_a_password_first_goes_to_log_in() -> None:
    response = Client().get("/login/code")
    assert response.status_code == 302
    assert response["Location"] == "/login"


def test_the_password_grant_refuses_an_account_with_two_factor(hazel: User, clock: Clock) -> None:
    client = Client()
    app = client.post(
        "/api/v1/apps",
        {"client_name": "Seed Swap", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    ).json()
    data = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "username": "hazel",
        "password": PASSWORD,
        "scope": "read",
    }
    assert client.post("/oauth/token", data).status_code == 200  # before
    with_two_factor(hazel, clock)
    response = client.post("/oauth/token", data)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()


def test_authorizing_an_app_goes_through_the_code(hazel: User, clock: Clock) -> None:
    with_two_factor(hazel, clock)
    client = Client()
    app = client.post(
        "/api/v1/apps", {"client_name": "Seed Swap", "redirect_uris": "myapp://callback"}
    ).json()
    query = urlencode(
        {
            "client_id": app["client_id"],
            "redirect_uri": "myapp://callback",
            "response_type": "code",
            "scope": "read",
        }
    )
    url = f"/oauth/authorize?{query}"
    to_login = client.get(url)
    assert to_login["Location"].startswith("/login?next=")
    after_password = log_in(client, next=url)
    assert after_password["Location"] == "/login/code"
    assert client.get(url)["Location"].startswith("/login?next=")  # not yet
    after_code = client.post("/login/code", {"code": code_for(hazel, clock.step)})
    assert after_code["Location"] == url
    page = client.get(url)
    assert page.status_code == 200
    assert "Seed Swap" in text_of(page)


def test_an_account_waiting_for_deletion_asks_the_code_before_the_offer_to_keep_it(
    hazel: User, clock: Clock
) -> None:
    with_two_factor(hazel, clock)
    assert client_of(hazel).post("/settings/delete", {"password": PASSWORD}).status_code == 200
    visitor = Client()
    assert log_in(visitor)["Location"] == "/login/code"
    assert visitor.get("/account/restore")["Location"] == "/login"
    answer = visitor.post("/login/code", {"code": code_for(hazel, clock.step)})
    assert answer["Location"] == "/account/restore"


# --- required for staff ----------------------------------------------------------------------


@pytest.fixture
def required() -> None:
    site_actions.update_settings(None, require_staff_2fa=True)
    state.forget()


def test_staff_without_two_factor_are_sent_to_set_it_up(required: None, clock: Clock) -> None:
    moderator = make_user("rowan", password=PASSWORD, role="moderator")
    browser = Client()
    log_in(browser, "rowan")
    response = browser.get("/admin/applications")
    assert response.status_code == 302
    assert response["Location"] == "/settings/two-factor?next=%2Fadmin%2Fapplications"
    page = browser.get(response["Location"])
    assert "This site requires staff to use two-factor authentication" in text_of(page)
    # Members without a staff permission see no difference.
    assert browser.get("/settings/account").status_code == 200
    # Once set up, the staff pages open, and the setup leads back to them.
    browser.post("/settings/two-factor", {"action": "start", "next": "/admin/applications"})
    secret = TwoFactor.objects.get(user=moderator).secret
    done = browser.post(
        "/settings/two-factor",
        {
            "action": "confirm",
            "next": "/admin/applications",
            "confirm-code": two_factor.totp(secret, clock.step),
            "confirm-password": PASSWORD,
        },
    )
    assert 'href="/admin/applications"' in text_of(done)
    assert browser.get("/admin/applications").status_code == 200


def test_every_kind_of_staff_page_sends_staff_to_set_it_up(required: None) -> None:
    admin = make_user("olga", role="admin")
    browser = client_of(admin)
    for path in ("/admin", "/admin/members", "/admin/settings", "/admin/roles"):
        response = browser.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/settings/two-factor"), path


def test_staff_pages_open_without_two_factor_when_it_is_not_required() -> None:
    admin = make_user("olga", role="admin")
    assert client_of(admin).get("/admin/members").status_code == 200


def test_the_requirement_is_a_checkbox_of_the_settings_page() -> None:
    from tests.test_staff_settings import form

    admin = make_user("olga", role="admin")
    browser = client_of(admin)
    page = browser.get("/admin/settings")
    assert 'name="require_staff_2fa"' in text_of(page)
    response = browser.post("/admin/settings", form(require_staff_2fa=True))
    assert response.status_code == 302
    state.forget()
    assert state.site_settings().require_staff_2fa
    # From now on the admin is asked to set it up first.
    assert browser.get("/admin/settings")["Location"].startswith("/settings/two-factor")


def test_only_staff_who_manage_settings_may_require_it() -> None:
    from django.core.exceptions import PermissionDenied

    moderator = make_user("rowan", role="moderator")
    with pytest.raises(PermissionDenied):
        site_actions.update_settings(moderator, require_staff_2fa=True)


def test_the_operator_can_turn_it_off_for_a_member_who_lost_everything(
    hazel: User, clock: Clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from townsquare import cli
    from townsquare.cli import admin

    with_two_factor(hazel, clock)
    monkeypatch.setattr(admin, "_migrate", lambda: None)
    assert cli.cmd_user_disable_two_factor(argparse.Namespace(username="Hazel")) == 0
    assert "Two-factor authentication is off for @hazel" in capsys.readouterr().out
    assert not two_factor.is_enabled(hazel)
    assert not RecoveryCode.objects.filter(user=hazel).exists()
    visitor = Client()
    assert log_in(visitor)["Location"] == "/"
    assert cli.cmd_user_disable_two_factor(argparse.Namespace(username="nobody")) == 1
