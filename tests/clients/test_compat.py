"""The details Mastodon clients rely on without saying so, checked over real HTTP: the version
string they parse, string ids, every request encoding they send, ISO 8601 dates with
milliseconds, an empty User-Agent, and CORS for browser clients."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.clients.live import PASSWORD, Site, png_bytes, wait_until

VERSION = re.compile(r"^4\.\d+\.\d+ \(compatible; Townsquare \d+\.\d+\.\d+[^)]*\)$")
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SNOWFLAKE = re.compile(r"^[1-9]\d{0,18}$")


@pytest.fixture(scope="module")
def fern(site: Site) -> str:
    return site.token("fern")


@pytest.fixture(scope="module")
def basil(site: Site) -> str:
    return site.token("basil")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.url} -> {response.status_code}: {response.text[:500]}"
    )
    return response.json()


def _id_of(site: Site, token: str) -> str:
    return str(
        _ok(requests.get(f"{site.url}/api/v1/accounts/verify_credentials", headers=_auth(token)))[
            "id"
        ]
    )


# --- the instance ----------------------------------------------------------------------------


def test_version_reads_as_a_mastodon_version(site: Site) -> None:
    for path in ("/api/v1/instance", "/api/v2/instance"):
        version = _ok(requests.get(site.url + path))["version"]
        assert VERSION.match(version), version
        # What Mastodon.py's version check reads: the leading x.y.z
        assert tuple(int(part) for part in version.split(" ")[0].split(".")) >= (4, 0, 0)


def test_streaming_url_is_advertised(site: Site) -> None:
    v1 = _ok(requests.get(site.url + "/api/v1/instance"))
    v2 = _ok(requests.get(site.url + "/api/v2/instance"))
    assert v1["urls"]["streaming_api"].startswith(("ws://", "wss://"))
    assert v2["configuration"]["urls"]["streaming"] == v1["urls"]["streaming_api"]


def test_empty_user_agent_is_accepted(site: Site, fern: str) -> None:
    for path, headers in (
        ("/api/v1/instance", {}),
        ("/api/v1/accounts/verify_credentials", _auth(fern)),
    ):
        response = requests.get(site.url + path, headers={"User-Agent": "", **headers})
        _ok(response)
    # and no User-Agent header at all
    session = requests.Session()
    del session.headers["User-Agent"]
    _ok(session.get(site.url + "/api/v1/instance"))


# --- ids and dates ---------------------------------------------------------------------------


def test_ids_are_strings_of_64_bit_numbers(site: Site, fern: str) -> None:
    me = _ok(requests.get(f"{site.url}/api/v1/accounts/verify_credentials", headers=_auth(fern)))
    assert isinstance(me["id"], str) and SNOWFLAKE.match(me["id"]), me["id"]
    assert int(me["id"]) < 2**63
    status = _ok(
        requests.post(
            f"{site.url}/api/v1/statuses", data={"status": "Seedlings are up"}, headers=_auth(fern)
        )
    )
    assert isinstance(status["id"], str) and SNOWFLAKE.match(status["id"]), status["id"]
    assert int(status["id"]) < 2**63
    assert status["account"]["id"] == me["id"]
    app = site.app()
    assert isinstance(app["id"], str)


def test_datetimes_are_iso_8601_with_milliseconds(site: Site, fern: str) -> None:
    me = _ok(requests.get(f"{site.url}/api/v1/accounts/verify_credentials", headers=_auth(fern)))
    assert ISO_MS.match(me["created_at"]), me["created_at"]
    status = _ok(
        requests.post(
            f"{site.url}/api/v1/statuses",
            json={
                "status": "Tomatoes need staking",
                "poll": {"options": ["yes", "no"], "expires_in": 3600},
            },
            headers=_auth(fern),
        )
    )
    assert ISO_MS.match(status["created_at"]), status["created_at"]
    assert ISO_MS.match(status["poll"]["expires_at"]), status["poll"]["expires_at"]


# --- request encodings -----------------------------------------------------------------------


def test_writes_accept_every_encoding(site: Site, fern: str) -> None:
    url = f"{site.url}/api/v1/statuses"
    sent = {
        "json": requests.post(url, json={"status": "by json"}, headers=_auth(fern)),
        "form": requests.post(url, data={"status": "by form"}, headers=_auth(fern)),
        "multipart": requests.post(
            url, files={"status": (None, "by multipart")}, headers=_auth(fern)
        ),
        "query": requests.post(url, params={"status": "by query"}, headers=_auth(fern)),
    }
    for how, response in sent.items():
        status = _ok(response)
        assert f"by {how}" in status["content"], (how, status["content"])


def test_apps_accept_every_encoding(site: Site) -> None:
    url = f"{site.url}/api/v1/apps"
    fields = {
        "client_name": "Seed swap",
        "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        "scopes": "read write",
    }
    for response in (
        requests.post(url, json=fields),
        requests.post(url, data=fields),
        requests.post(url, files={k: (None, v) for k, v in fields.items()}),
        requests.post(url, params=fields),
    ):
        app = _ok(response)
        assert app["name"] == "Seed swap" and app["client_id"] and app["client_secret"]


def test_token_endpoint_accepts_json_and_form(site: Site) -> None:
    site.member("fern")
    app = site.app()
    fields = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "username": site.members["fern"],
        "password": PASSWORD,
        "scope": "read",
    }
    for response in (
        requests.post(f"{site.url}/oauth/token", json=fields),
        requests.post(f"{site.url}/oauth/token", data=fields),
    ):
        token = _ok(response)
        assert token["token_type"].lower() == "bearer" and token["access_token"]
        assert isinstance(token["created_at"], int)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("0", False), ("false", False)]
)
def test_booleans_as_1_0_true_false(site: Site, fern: str, raw: str, expected: bool) -> None:
    status = _ok(
        requests.post(
            f"{site.url}/api/v1/statuses",
            data={"status": f"Compost heap, sensitive={raw}", "sensitive": raw},
            headers=_auth(fern),
        )
    )
    assert status["sensitive"] is expected


def test_arrays_as_bracketed_keys(site: Site, fern: str) -> None:
    media = [
        _upload(site, fern, f"bed{n}.png", colour) for n, colour in ((1, "olive"), (2, "sienna"))
    ]
    status = _ok(
        requests.post(
            f"{site.url}/api/v1/statuses",
            data={
                "status": "Two raised beds, and a poll",
                "media_ids[]": [m["id"] for m in media],
            },
            headers=_auth(fern),
        )
    )
    assert [m["id"] for m in status["media_attachments"]] == [m["id"] for m in media]
    poll = _ok(
        requests.post(
            f"{site.url}/api/v1/statuses",
            data={
                "status": "Which bed gets the beans?",
                "poll[options][]": ["the sunny one", "the shady one"],
                "poll[expires_in]": "86400",
            },
            headers=_auth(fern),
        )
    )
    assert [o["title"] for o in poll["poll"]["options"]] == ["the sunny one", "the shady one"]


def _upload(site: Site, token: str, name: str, colour: str) -> dict[str, Any]:
    response = requests.post(
        f"{site.url}/api/v2/media",
        files={"file": (name, png_bytes(colour=colour), "image/png")},
        data={"description": f"A raised bed, {colour}"},
        headers=_auth(token),
    )
    assert response.status_code in (200, 202), response.text[:500]
    media: dict[str, Any] = response.json()
    if response.status_code == 202:  # still processing: poll until it has a url
        wait_until(
            lambda: (
                requests.get(
                    f"{site.url}/api/v1/media/{media['id']}", headers=_auth(token)
                ).status_code
                == 200
            ),
            timeout=20,
            what="media processing",
        )
    return media


def test_post_with_no_body_and_no_content_type(site: Site, fern: str, basil: str) -> None:
    """`POST /favourite` and `POST /follow` as some clients send them: nothing but the token."""
    status = _ok(
        requests.post(
            f"{site.url}/api/v1/statuses", data={"status": "Bare POSTs"}, headers=_auth(basil)
        )
    )
    basil_id = _id_of(site, basil)
    for path in (
        f"/api/v1/statuses/{status['id']}/favourite",
        f"/api/v1/accounts/{basil_id}/follow",
    ):
        request = requests.Request("POST", site.url + path, headers=_auth(fern)).prepare()
        assert request.body is None and "Content-Type" not in request.headers
        _ok(requests.Session().send(request))
    again = _ok(requests.get(f"{site.url}/api/v1/statuses/{status['id']}", headers=_auth(fern)))
    assert again["favourited"] is True
    relationship = _ok(
        requests.get(
            f"{site.url}/api/v1/accounts/relationships",
            params={"id[]": basil_id},
            headers=_auth(fern),
        )
    )
    assert relationship[0]["following"] is True


# --- errors ------------------------------------------------------------------------------------


def test_errors_are_json_with_an_error_key(site: Site) -> None:
    for path, status in (
        ("/api/v1/accounts/verify_credentials", 401),
        ("/api/v1/statuses/1", 404),
    ):
        response = requests.get(site.url + path)
        assert response.status_code == status, path
        assert response.headers["Content-Type"].startswith("application/json"), path
        body = response.json()
        assert isinstance(body.get("error"), str) and body["error"], (path, body)


# --- CORS for browser clients ------------------------------------------------------------------

CORS_PATHS = [
    "/api/v1/instance",
    "/api/v1/timelines/public",
    "/oauth/token",
    "/.well-known/nodeinfo",
    "/.well-known/oauth-authorization-server",
    "/nodeinfo/2.0",
]


@pytest.mark.parametrize("path", CORS_PATHS)
def test_cors_preflight(site: Site, path: str) -> None:
    response = requests.options(
        site.url + path,
        headers={
            "Origin": "https://elk.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code in (200, 204), response.status_code
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert "POST" in response.headers.get("Access-Control-Allow-Methods", "")
    allowed = response.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "authorization" in allowed and "content-type" in allowed


@pytest.mark.parametrize("path", [p for p in CORS_PATHS if p != "/oauth/token"])
def test_cors_on_answers(site: Site, path: str) -> None:
    response = requests.get(site.url + path, headers={"Origin": "https://elk.example"})
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Link" in response.headers.get("Access-Control-Expose-Headers", "")


def test_cors_on_token_answer(site: Site) -> None:
    response = requests.post(
        f"{site.url}/oauth/token",
        data={"grant_type": "password"},
        headers={"Origin": "https://elk.example"},
    )
    assert response.status_code in (400, 401)
    assert response.headers.get("Access-Control-Allow-Origin") == "*"


def test_no_cors_on_the_web_pages(site: Site) -> None:
    response = requests.get(site.url + "/", headers={"Origin": "https://elk.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_nul_characters_are_refused_not_a_server_error(site: Site, fern: str) -> None:
    """PostgreSQL cannot store or compare a NUL: the API refuses it up front (4xx, never 500)."""
    for method, path, kwargs in (
        ("GET", "/api/v1/accounts/lookup", {"params": {"acct": "fern\x00"}}),
        ("GET", "/api/v1/accounts/search", {"params": {"q": "\x00"}}),
        ("POST", "/api/v1/statuses", {"data": {"status": "a\x00b"}}),
        ("GET", "/api/v1/tags/garden%00", {}),
        ("POST", "/oauth/token", {"data": {"grant_type": "password", "username": "\x00"}}),
    ):
        response = requests.request(method, site.url + path, headers=_auth(fern), **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        assert "error" in response.json()
