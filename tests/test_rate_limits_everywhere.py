"""Every kind of write has a rate limit per account or per address: once over it, the API
answers 429 with Retry-After and the web form says to try again later; when the window has
passed, it works again. The limits are made small here, and time is moved by replacing the
limits' clock (never by sleeping)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from tests.api.conftest import ApiClient, make_token
from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, make_post, make_user, sign_up_checks
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import MessagePolicy, User
from townsquare.core import ratelimit
from townsquare.core.ratelimit import Limit
from townsquare.moderation import actions as moderation_actions

pytestmark = pytest.mark.django_db

HOUR = 60 * 60


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The limits' clock, stopped at the start of a window; `clock.now += seconds` moves it."""
    moment = SimpleNamespace(now=float(int(time.time()) // HOUR * HOUR + 10))
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: moment.now))
    return moment


def small(monkeypatch: pytest.MonkeyPatch, name: str, count: int, module: Any = ratelimit) -> Limit:
    """Make the limit `name` of `module` allow only `count` attempts an hour."""
    limit: Limit = getattr(module, name)
    smaller = Limit(limit.name, count, limit.seconds)
    monkeypatch.setattr(module, name, smaller)
    return smaller


def assert_429(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) > 0
    assert "error" in response.json()


# --- sign-up and log-in (per address) ------------------------------------------------------------


def _register(client: ApiClient, username: str, address: str = "198.51.100.7") -> Any:
    return client.client.post(
        "/api/v1/accounts",
        {
            "username": username,
            "email": f"{username}@example.org",
            "password": PASSWORD,
            "agreement": True,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
        REMOTE_ADDR=address,
    )


def test_sign_up_on_the_api_answers_429_and_recovers(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small(monkeypatch, "SIGNUPS_PER_IP", 2)
    app = ApiClient(make_token(None, "read write follow"))
    assert _register(app, "basil").status_code == 200
    assert _register(app, "sage").status_code == 200
    assert_429(_register(app, "thyme"))
    assert not User.objects.filter(username="thyme").exists()
    clock.now += HOUR
    assert _register(app, "thyme").status_code == 200


def test_sign_up_on_the_web_answers_429_with_a_form_error_and_recovers(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small(monkeypatch, "SIGNUPS_PER_IP", 1)
    browser = Client(REMOTE_ADDR="198.51.100.8")

    def join(username: str) -> Any:
        data = {
            "username": username,
            "email": f"{username}@example.org",
            "password": PASSWORD,
            "agreement": "on",
            **sign_up_checks(),
        }
        return browser.post("/signup", data)

    assert join("basil").status_code == 200
    refused = join("sage")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many attempts; try again in" in text_of(refused)
    assert '<form method="post"' in text_of(refused)  # the form, to send again later
    clock.now += HOUR
    assert join("sage").status_code == 200


def test_password_logins_on_the_api_answer_429_and_recover(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import townsquare.api.oauth.views as oauth_views

    limit = Limit("login-ip", 2, 15 * 60)
    monkeypatch.setattr(ratelimit, "LOGIN_FAILURES_PER_IP", limit)
    monkeypatch.setattr(oauth_views, "LOGIN_FAILURES_PER_IP", limit)
    limit.hit("127.0.0.1")
    limit.hit("127.0.0.1")
    response = Client().post(
        "/oauth/token", {"grant_type": "password", "username": "fern", "password": "x"}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    clock.now += 15 * 60
    response = Client().post(
        "/oauth/token", {"grant_type": "password", "username": "fern", "password": "x"}
    )
    assert response.status_code != 429


def test_logins_on_the_web_are_refused_with_a_form_error_and_recover(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small(monkeypatch, "LOGIN_FAILURES_PER_IP", 2)
    make_user("fern", password=PASSWORD)
    browser = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(2):
        assert browser.post("/login", {"login": "fern", "password": "wrong"}).status_code == 400
    refused = browser.post("/login", {"login": "fern", "password": PASSWORD})
    assert refused.status_code == 400
    assert "try again" in text_of(refused).lower()
    clock.now += 15 * 60
    assert browser.post("/login", {"login": "fern", "password": PASSWORD}).status_code == 302


# --- posting, following, messaging, reporting (per account) ----------------------------------------


def test_posting_answers_429_on_the_api_and_a_form_error_on_the_web_and_recovers(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small(monkeypatch, "POSTS_PER_ACCOUNT", 2)
    fern = make_user("fern")
    api = ApiClient(make_token(fern))
    for i in range(2):
        assert api.post("/api/v1/statuses", {"status": f"Tomatoes, day {i}"}).status_code == 200
    assert_429(api.post("/api/v1/statuses", {"status": "Tomatoes, day 3"}))

    web = client_of(fern).post("/posts", {"text": "Tomatoes, day 3", "visibility": "0"})
    assert web.status_code == 400
    assert "Too many attempts; try again in" in text_of(web)

    clock.now += HOUR
    assert api.post("/api/v1/statuses", {"status": "Tomatoes, day 3"}).status_code == 200


def test_following_answers_429_and_recovers(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small(monkeypatch, "FOLLOWS_PER_ACCOUNT", 2)
    fern = make_user("fern")
    others = [make_user(f"gardener_{i}") for i in range(3)]
    api = ApiClient(make_token(fern))
    for other in others[:2]:
        assert api.post(f"/api/v1/accounts/{other.pk}/follow").status_code == 200
    assert_429(api.post(f"/api/v1/accounts/{others[2].pk}/follow"))
    clock.now += HOUR
    assert api.post(f"/api/v1/accounts/{others[2].pk}/follow").status_code == 200


def test_messaging_is_refused_with_a_form_error_and_recovers(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small(monkeypatch, "CONVERSATIONS_PER_ACCOUNT", 1)
    ana = make_user("ana")
    people = [make_user(f"neighbour_{i}") for i in range(2)]
    for person in people:
        account_actions.set_privacy(person, message_policy=MessagePolicy.EVERYONE)
    web = client_of(ana)
    sent = web.post("/messages/new", {"to": "@neighbour_0", "text": "Seeds swap on Sunday?"})
    assert sent.status_code == 302
    refused = web.post("/messages/new", {"to": "@neighbour_1", "text": "Seeds swap on Sunday?"})
    assert refused.status_code == 400
    assert "Too many attempts; try again in" in text_of(refused)
    clock.now += HOUR
    again = web.post("/messages/new", {"to": "@neighbour_1", "text": "Seeds swap on Sunday?"})
    assert again.status_code == 302


def test_reporting_answers_429_and_recovers(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    small(monkeypatch, "REPORTS_PER_ACCOUNT", 2, module=moderation_actions)
    fern = make_user("fern")
    api = ApiClient(make_token(fern))
    ivy = [make_user(f"ivy_{i}") for i in range(3)]
    for person in ivy[:2]:
        assert api.post("/api/v1/reports", {"account_id": str(person.pk)}).status_code == 200
    assert_429(api.post("/api/v1/reports", {"account_id": str(ivy[2].pk)}))
    clock.now += HOUR
    assert api.post("/api/v1/reports", {"account_id": str(ivy[2].pk)}).status_code == 200


# --- API calls (per account and per address) --------------------------------------------------------


def test_api_writes_per_account_answer_429_and_recover(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import townsquare.api.router as router

    limit = Limit("write-account", 3, HOUR)
    monkeypatch.setattr(router, "WRITES_PER_ACCOUNT", limit)  # routes counted by the router
    monkeypatch.setattr(ratelimit, "WRITES_PER_ACCOUNT", limit)  # and by the write layer
    fern = make_user("fern")
    post = make_post(make_user("sam"), "Our first courgettes")
    api = ApiClient(make_token(fern))
    for _ in range(3):
        assert api.post(f"/api/v1/statuses/{post.pk}/bookmark").status_code == 200
    assert_429(api.post(f"/api/v1/statuses/{post.pk}/unbookmark"))
    clock.now += HOUR
    assert api.post(f"/api/v1/statuses/{post.pk}/unbookmark").status_code == 200


def test_api_writes_per_address_answer_429_whoever_sends_them_and_recover(
    clock: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import townsquare.api.router as router

    monkeypatch.setattr(router, "API_WRITES_PER_IP", Limit("api-write-ip", 3, HOUR))
    post = make_post(make_user("sam"), "Our first courgettes")
    members = [make_user(f"rook_{i}") for i in range(4)]
    for member in members[:3]:
        api = ApiClient(make_token(member))
        assert api.post(f"/api/v1/statuses/{post.pk}/favourite").status_code == 200
    api = ApiClient(make_token(members[3]))
    assert_429(api.post(f"/api/v1/statuses/{post.pk}/favourite"))
    # Reading is not counted.
    assert api.get(f"/api/v1/statuses/{post.pk}").status_code == 200
    clock.now += HOUR
    assert api.post(f"/api/v1/statuses/{post.pk}/favourite").status_code == 200
