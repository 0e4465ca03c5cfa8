"""Blocked networks stop logins as well as sign-ups (accounts.actions.refuse_blocked_network):
the web login form, the OAuth consent page and the OAuth password grant. No exemption, staff
included; an expired block stops nothing; staff cannot block the address they are using, and
the command line lists and removes blocks (the way back in)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, make_user
from townsquare import cli
from townsquare.accounts.models import User
from townsquare.site import ip_blocks
from townsquare.site.models import IpBlock

pytestmark = pytest.mark.django_db

BLOCKED = "203.0.113.40"  # inside the chess society's spam range below
ELSEWHERE = "198.51.100.7"
REFUSED = "Logging in from your network is blocked"


@pytest.fixture
def hazel() -> User:
    return make_user("hazel", password=PASSWORD)


@pytest.fixture
def block() -> IpBlock:
    return ip_blocks.add_block(None, "203.0.113.0/24", note="Spam wave at the chess society")


def _log_in(ip: str, login: str = "hazel", password: str = PASSWORD) -> tuple[Client, int, str]:
    client = Client(REMOTE_ADDR=ip)
    response = client.post("/login", {"login": login, "password": password})
    return client, response.status_code, text_of(response)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_web_login_from_a_blocked_network_is_refused_with_a_form_error(
    hazel: User, block: IpBlock
) -> None:
    client, status, page = _log_in(BLOCKED)
    assert status == 400
    assert REFUSED in page
    assert not _logged_in(client)
    client, status, _page = _log_in(ELSEWHERE)
    assert status == 302 and _logged_in(client)


def test_the_block_is_checked_before_the_password(hazel: User, block: IpBlock) -> None:
    """A wrong password gets the same answer: no way to test passwords from there."""
    _client, status, page = _log_in(BLOCKED, password="not the password")
    assert status == 400 and REFUSED in page


def test_staff_are_not_exempt(block: IpBlock) -> None:
    make_user("warden", password=PASSWORD, role="admin")
    client, status, page = _log_in(BLOCKED, login="warden")
    assert status == 400 and REFUSED in page and not _logged_in(client)


def test_an_expired_block_stops_nobody(hazel: User, block: IpBlock) -> None:
    IpBlock.objects.filter(pk=block.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client, status, _page = _log_in(BLOCKED)
    assert status == 302 and _logged_in(client)


def _password_grant(client: Client) -> dict[str, str]:
    app = client.post(
        "/api/v1/apps",
        {"client_name": "Seed Swap", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    ).json()
    return {
        "grant_type": "password",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "username": "hazel",
        "password": PASSWORD,
        "scope": "read",
    }


def test_oauth_password_grant_from_a_blocked_network_is_a_json_error(
    hazel: User, block: IpBlock
) -> None:
    client = Client(REMOTE_ADDR=BLOCKED)
    data = _password_grant(client)
    response = client.post("/oauth/token", data)
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"
    assert REFUSED in response.json()["error_description"]
    elsewhere = Client(REMOTE_ADDR=ELSEWHERE).post("/oauth/token", data)
    assert elsewhere.status_code == 200, elsewhere.content


def test_oauth_consent_page_refuses_a_blocked_network(hazel: User, block: IpBlock) -> None:
    """Signed in before the block (or through a session from elsewhere): no new app token."""
    client = client_of(hazel)
    app = client.post(
        "/api/v1/apps",
        {"client_name": "Seed Swap", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    ).json()
    query = {
        "client_id": app["client_id"],
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "response_type": "code",
        "scope": "read",
    }
    response = client.get("/oauth/authorize", query, REMOTE_ADDR=BLOCKED)
    assert response.status_code == 403
    assert REFUSED in text_of(response)
    assert client.get("/oauth/authorize", query, REMOTE_ADDR=ELSEWHERE).status_code == 200


def test_the_oauth_login_goes_through_the_checked_login_form(hazel: User, block: IpBlock) -> None:
    client = Client(REMOTE_ADDR=BLOCKED)
    response = client.get("/oauth/authorize?client_id=x&response_type=code")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_staff_cannot_block_their_own_address() -> None:
    warden = make_user("warden", role="admin")
    browser = client_of(warden)
    page = text_of(browser.get("/admin/ip-blocks", REMOTE_ADDR=ELSEWHERE))
    assert "log in" in page  # the page says blocks cover logins
    response = browser.post(
        "/admin/ip-blocks", {"network": "198.51.100.0/24"}, REMOTE_ADDR=ELSEWHERE
    )
    assert response.status_code == 400
    assert "address you are using now" in text_of(response)
    assert not IpBlock.objects.exists()


def test_the_command_line_lists_and_removes_a_block(
    hazel: User, block: IpBlock, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = cli.build_parser()
    listing = parser.parse_args(["ip-block", "list"])
    assert listing.func(listing) == 0
    assert "203.0.113.0/24" in capsys.readouterr().out
    # As typed by an operator: an address of the range finds its block.
    removal = parser.parse_args(["ip-block", "remove", "203.0.113.9/24"])
    assert removal.func(removal) == 0
    assert "no longer blocked" in capsys.readouterr().out
    assert not IpBlock.objects.exists()
    client, status, _page = _log_in(BLOCKED)
    assert status == 302 and _logged_in(client)
    missing = parser.parse_args(["ip-block", "remove", "203.0.113.0/24"])
    assert missing.func(missing) == 1


def test_the_command_line_removes_a_block_by_id(block: IpBlock) -> None:
    parser = cli.build_parser()
    removal = parser.parse_args(["ip-block", "remove", str(block.pk)])
    assert removal.func(removal) == 0
    assert not IpBlock.objects.exists()
