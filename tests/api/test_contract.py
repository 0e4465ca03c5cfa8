"""Rules every endpoint keeps, checked over the whole route registry: no token or a bad token is
a 401, a token without the scope a 403, paths answer with and without a trailing slash, a bad
id is a 404, and errors have Mastodon's shape."""

from __future__ import annotations

import re

import pytest
from django.urls import resolve

from tests.api.conftest import ApiClient, make_token
from townsquare.accounts.models import User
from townsquare.api.registry import api
from townsquare.api.router import Route
from townsquare.api.urls import urlpatterns  # noqa: F401 - registers every route

pytestmark = pytest.mark.django_db


def _concrete(path: str, value: str = "1") -> str:
    return re.sub(r"\{\w+\}", value, path)


def _call(client: ApiClient, route: Route, path: str) -> object:
    method = route.method.lower()
    if method == "get":
        return client.get(path)
    if method == "delete":
        return client.delete(path)
    return getattr(client, method)(path, {})


MEMBER_ROUTES = [r for r in api.routes if r.auth == "user"]
SCOPED_ROUTES = [r for r in api.routes if r.scope and r.auth != "none"]


def _id(route: Route) -> str:
    return f"{route.method} {route.path}"


def test_the_registry_is_not_empty() -> None:
    assert len(api.routes) >= 8
    assert MEMBER_ROUTES


@pytest.mark.parametrize("route", MEMBER_ROUTES, ids=_id)
def test_member_endpoints_need_a_token(route: Route) -> None:
    response = _call(ApiClient(), route, _concrete(route.path))
    assert response.status_code == 401, response.content  # type: ignore[attr-defined]
    assert response.json() == {"error": "The access token is invalid"}  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", [r for r in api.routes if r.auth != "none"], ids=_id)
def test_an_unknown_token_is_refused(route: Route) -> None:
    response = _call(ApiClient("not-a-real-token"), route, _concrete(route.path))
    assert response.status_code == 401  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", SCOPED_ROUTES, ids=_id)
def test_a_token_without_the_scope_is_refused(route: Route, fern: User) -> None:
    # "push" covers no endpoint of the client API.
    client = ApiClient(make_token(fern, "push"))
    response = _call(client, route, _concrete(route.path))
    assert response.status_code == 403, response.content  # type: ignore[attr-defined]
    assert response.json() == {  # type: ignore[attr-defined]
        "error": "This action is outside the authorized scopes"
    }


@pytest.mark.parametrize("route", api.routes, ids=_id)
def test_paths_answer_with_and_without_a_trailing_slash(route: Route) -> None:
    path = _concrete(route.path)
    assert resolve(path).func is resolve(path + "/").func


@pytest.mark.parametrize(
    "route", [r for r in api.routes if "{id}" in r.path and r.method == "GET"], ids=_id
)
def test_an_id_that_is_not_a_number_is_not_found(route: Route, fern: User) -> None:
    client = ApiClient(make_token(fern))
    response = client.get(_concrete(route.path, "not-a-number"))
    assert response.status_code == 404
    assert "error" in response.json()


def test_a_wrong_method_is_a_json_error(fern: User) -> None:
    response = ApiClient().delete("/api/v2/instance")
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed"}
    assert "GET" in response["Allow"]


def test_malformed_json_is_a_400() -> None:
    response = ApiClient().client.post(
        "/api/v1/apps", b"{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_an_unknown_api_path_is_a_json_404() -> None:
    for path in ("/api/v1/no_such_thing", "/api/v9/instance", "/api/v1/statuses/1/nonsense"):
        response = ApiClient().get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Record not found"}
