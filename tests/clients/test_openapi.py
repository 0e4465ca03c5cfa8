"""The OpenAPI document at /api/openapi.json: valid OpenAPI 3.1, and it lists every route the
server answers (so schemathesis, and anyone generating a client, sees the whole API)."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema_rs
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from tests.clients.live import Site

METHODS = {"get", "post", "put", "patch", "delete"}


def _document(site: Site) -> dict[str, Any]:
    status, headers, body = site.request("GET", "/api/openapi.json")
    assert status == 200, body[:300]
    assert headers.get("Content-Type", "").startswith("application/json")
    return json.loads(body)


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def test_document_is_valid_openapi_31(site: Site) -> None:
    document = _document(site)
    assert document["openapi"].startswith("3.1")
    errors = [f"{e.instance_path}: {e.message}" for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert not errors, "\n".join(errors[:20])
    assert document["servers"] == [{"url": site.url}]
    # Every component is a valid JSON Schema 2020-12 (the dialect of OpenAPI 3.1)...
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name
    # ...and every reference points at one.
    components = set(document["components"]["schemas"])
    for ref in _refs(document["paths"]):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in components, f"dangling {ref}"


def test_operations_are_well_formed(site: Site) -> None:
    document = _document(site)
    seen: set[str] = set()
    for path, item in document["paths"].items():
        placeholders = set(re.findall(r"\{(\w+)\}", path))
        for method, operation in item.items():
            assert method in METHODS, (path, method)
            where = f"{method.upper()} {path}"
            assert operation["operationId"] not in seen, f"duplicate operationId in {where}"
            seen.add(operation["operationId"])
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == placeholders, where
            successes = [code for code in operation["responses"] if code.startswith("2")]
            assert successes, where  # (202 beside 200 where the work may go on afterwards)
            for code, response in operation["responses"].items():
                if not code.startswith("2"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (where, code)
            if method == "get":
                assert "requestBody" not in operation, where


def test_every_registered_route_is_documented(site: Site) -> None:
    import townsquare.api.urls  # noqa: F401 - registers every endpoint module's routes
    from townsquare.api.registry import api

    documented = {
        (method.upper(), path) for path, item in _document(site)["paths"].items() for method in item
    }
    registered = {(route.method, route.path) for route in api.routes}
    assert registered, "no routes registered"
    assert registered == documented, {
        "undocumented": sorted(registered - documented),
        "documented but not registered": sorted(documented - registered),
    }


def test_every_documented_operation_is_answered(site: Site) -> None:
    """No documented path falls through to the site's HTML 404 page: the API answers each one
    (with its data, or a JSON error such as 401 without a token)."""
    document = _document(site)
    for path, item in document["paths"].items():
        concrete = re.sub(r"\{\w+\}", "1", path)
        for method in item:
            status, headers, body = site.request(method.upper(), concrete)
            where = f"{method.upper()} {concrete} -> {status}"
            assert status != 405, where
            assert status < 500, f"{where}: {body[:300]!r}"
            assert headers.get("Content-Type", "").startswith("application/json"), where
