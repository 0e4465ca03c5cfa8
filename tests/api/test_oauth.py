"""OAuth2 as Mastodon apps use it: register an app, authorize (with PKCE, out-of-band, custom
schemes, force_login), exchange the code, client credentials, the password grant, revocation."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings

from tests.factories import make_user
from townsquare.accounts.models import User

pytestmark = pytest.mark.django_db
OOB = "urn:ietf:wg:oauth:2.0:oob"
PASSWORD = "pumpkin patch 42"


def register(client: Client, **overrides: Any) -> dict[str, Any]:
    data = {
        "client_name": "Seed Swap",
        "redirect_uris": OOB,
        "scopes": "read write follow push",
        "website": "https://seeds.example",
        **overrides,
    }
    response = client.post("/api/v1/apps", data)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def member() -> User:
    user = make_user("hazel")
    user.set_password(PASSWORD)
    user.save()
    return user


def pkce() -> tuple[str, str]:
    verifier = "v" * 20 + "garden-verifier-0123456789abcdefghij"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


def test_app_registration_answers_as_mastodon_does() -> None:
    client = Client()
    app = register(
        client, redirect_uris=f"{OOB}\nmyapp://callback\ncom.example.App.123:/request_token"
    )
    assert app["name"] == "Seed Swap"
    assert app["redirect_uris"] == [OOB, "myapp://callback", "com.example.App.123:/request_token"]
    assert app["redirect_uri"] == f"{OOB}\nmyapp://callback\ncom.example.App.123:/request_token"
    assert app["scopes"] == ["read", "write", "follow", "push"]
    assert app["client_id"] and app["client_secret"] and app["client_secret_expires_at"] == 0
    # JSON and an array of URIs work too.
    response = client.post(
        "/api/v1/apps/",
        {
            "client_name": "Chess clock",
            "redirect_uris": ["myapp://one", "https://chess.example/cb"],
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["redirect_uris"] == ["myapp://one", "https://chess.example/cb"]
    assert response.json()["scopes"] == ["read"]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"redirect_uris": OOB}, 400),
        ({"client_name": "x"}, 400),
        ({"client_name": "x", "redirect_uris": OOB, "scopes": "read bogus"}, 422),
        ({"client_name": "x", "redirect_uris": "javascript:alert(1)"}, 422),
        ({"client_name": "x", "redirect_uris": "   "}, 422),
    ],
)
def test_bad_app_registration_is_a_clear_error(data: dict[str, str], status: int) -> None:
    response = Client().post("/api/v1/apps", data)
    assert response.status_code == status
    assert "error" in response.json()


def _authorize_url(app: dict[str, Any], redirect_uri: str, **extra: str) -> str:
    params = {
        "client_id": app["client_id"],
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "read write",
        **extra,
    }
    from urllib.parse import urlencode

    return f"/oauth/authorize?{urlencode(params)}"


def test_authorization_code_with_pkce_and_a_custom_scheme(member: User) -> None:
    client = Client()
    app = register(client, redirect_uris="com.example.App.123:/request_token")
    verifier, challenge = pkce()
    url = _authorize_url(
        app,
        "com.example.App.123:/request_token",
        state="tulip",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    # Not signed in: the site's own login page first, coming back here after.
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")
    client.force_login(member)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Seed Swap" in text and "@hazel" in text and "read" in text
    answer = client.post(url, {"allow": "1"})
    assert answer.status_code == 302
    assert answer["Location"].startswith("com.example.App.123:/request_token?")
    location = urlsplit(answer["Location"])
    query = parse_qs(location.query)
    assert query["state"] == ["tulip"]
    code = query["code"][0]
    wrong = Client().post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "com.example.App.123:/request_token",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "code_verifier": "not-the-verifier-" + "x" * 40,
        },
    )
    assert wrong.status_code == 400
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "com.example.App.123:/request_token",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "code_verifier": verifier,
    }
    token = Client().post("/oauth/token", exchange)
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == "read write"
    assert Client().post("/oauth/token", exchange).status_code == 400  # a code works once


def test_authorization_code_exchange_gives_a_working_token(member: User) -> None:
    client = Client()
    app = register(client, redirect_uris="myapp://callback")
    client.force_login(member)
    url = _authorize_url(app, "myapp://callback")
    answer = client.post(url, {"allow": "1"})
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    response = Client().post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "myapp://callback",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["token_type"].lower() == "bearer"
    assert token["scope"] == "read write"
    assert isinstance(token["created_at"], int)
    check = Client().get(
        "/api/v1/apps/verify_credentials", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}"
    )
    assert check.status_code == 200
    assert check.json()["name"] == "Seed Swap"


def test_out_of_band_shows_the_code(member: User) -> None:
    client = Client()
    app = register(client)
    client.force_login(member)
    url = _authorize_url(app, OOB)
    page = client.post(url, {"allow": "1"})
    assert page.status_code == 200
    value = re.search(r'value="([^"]+)" id="oauth-code"', page.content.decode())
    assert value is not None
    token = Client().post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": value.group(1),
            "redirect_uri": OOB,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert token.status_code == 200


def test_deny_redirects_with_access_denied(member: User) -> None:
    client = Client()
    app = register(client, redirect_uris="myapp://callback")
    client.force_login(member)
    answer = client.post(_authorize_url(app, "myapp://callback", state="s1"), {"deny": "1"})
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s1"]


def test_unregistered_redirect_uri_is_refused_on_the_page(member: User) -> None:
    client = Client()
    app = register(client, redirect_uris="myapp://callback")
    client.force_login(member)
    page = client.get(_authorize_url(app, "https://elsewhere.example/steal"))
    assert page.status_code == 400
    assert "Location" not in page


def test_scope_beyond_the_apps_registration_is_refused(member: User) -> None:
    client = Client()
    app = register(client, redirect_uris="myapp://callback", scopes="read")
    client.force_login(member)
    answer = client.get(_authorize_url(app, "myapp://callback"))  # asks read write
    assert answer.status_code == 302
    assert "error=invalid_scope" in answer["Location"]


def test_force_login_signs_out_and_returns_to_the_page(member: User) -> None:
    client = Client()
    app = register(client, redirect_uris="myapp://callback")
    client.force_login(member)
    response = client.get(_authorize_url(app, "myapp://callback", force_login="true"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")
    assert "force_login" not in parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert client.get("/oauth/authorize").status_code == 302  # signed out now


def test_client_credentials_token_is_an_app_token() -> None:
    client = Client()
    app = register(client)
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read",
        },
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert response.json()["scope"] == "read"
    assert (
        client.get(
            "/api/v1/apps/verify_credentials", HTTP_AUTHORIZATION=f"Bearer {token}"
        ).status_code
        == 200
    )
    wrong_secret = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": "no"},
    )
    assert wrong_secret.status_code == 401


def test_password_grant(member: User) -> None:
    client = Client()
    app = register(client)
    data = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "username": member.email,
        "password": PASSWORD,
        "scope": "read write",
    }
    response = client.post("/oauth/token", data)
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "read write"
    bad = client.post("/oauth/token", {**data, "password": "wrong password"})
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"
    assert bad.json()["error_description"].startswith("The login, code or refresh token")


def test_oauth_errors_are_described_in_the_callers_language(member: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    app = register(client)
    data = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "username": member.email,
        "password": "wrong password",
    }
    bad = client.post("/oauth/token", data).json()
    assert bad["error"] == "invalid_grant"  # the RFC's code, never translated
    assert bad["error_description"].startswith("L’identifiant, le code ou le jeton")
    unknown = client.post("/oauth/token", {**data, "grant_type": "magic"}).json()
    assert unknown["error"] == "unsupported_grant_type"
    assert (
        unknown["error_description"] == "Cette façon d’obtenir un jeton n’est pas prise en charge."
    )


def test_password_grant_refuses_a_member_whose_email_is_not_confirmed(member: User) -> None:
    User.objects.filter(pk=member.pk).update(email_confirmed=False)
    client = Client()
    app = register(client)
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": member.username,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.json()


def test_password_grant_can_be_switched_off(member: User, settings: Any) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "OAUTH_PASSWORD_GRANT": False}
    client = Client()
    app = register(client)
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": member.email,
            "password": PASSWORD,
        },
    )
    assert response.status_code in (400, 401)
    assert "access_token" not in response.json()
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert "password" not in metadata["grant_types_supported"]


def test_revoked_token_stops_working(member: User) -> None:
    client = Client()
    app = register(client)
    token = client.post(
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": member.username,
            "password": PASSWORD,
        },
    ).json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/apps/verify_credentials", **auth).status_code == 200
    other = register(client, client_name="Someone else")
    refused = client.post(
        "/oauth/revoke",
        {"token": token, "client_id": other["client_id"], "client_secret": other["client_secret"]},
    )
    assert client.get("/api/v1/apps/verify_credentials", **auth).status_code == 200
    assert refused.status_code in (200, 403)  # RFC 7009: never revoke another client's token
    response = client.post(
        "/oauth/revoke",
        {"token": token, "client_id": app["client_id"], "client_secret": app["client_secret"]},
    )
    assert response.status_code == 200
    assert response.json() == {}
    gone = client.get("/api/v1/apps/verify_credentials", **auth)
    assert gone.status_code == 401
    assert gone.json() == {"error": "The access token is invalid"}


def test_server_metadata_and_cors() -> None:
    client = Client()
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    data = response.json()
    assert data["authorization_endpoint"].endswith("/oauth/authorize")
    assert data["token_endpoint"].endswith("/oauth/token")
    assert "S256" in data["code_challenge_methods_supported"]
    assert "read:statuses" in data["scopes_supported"]
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/oauth/token",
        HTTP_ORIGIN="https://elk.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "authorization" in preflight["Access-Control-Allow-Headers"]


@override_settings()
def test_pages_outside_the_api_get_no_cors_header() -> None:
    response = Client().get("/login")
    assert "Access-Control-Allow-Origin" not in response
