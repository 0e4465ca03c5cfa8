"""The OpenAPI 3.1 document of the API, built from the route registry: the same parameter
models that read requests and the entity models that describe responses."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from pydantic import TypeAdapter

from townsquare import __version__
from townsquare.api.json import dumps
from townsquare.api.registry import api
from townsquare.api.router import WRITE_METHODS, Route
from townsquare.api.schemas.entities import Error
from townsquare.site import state as site_state

REF = "#/components/schemas/{model}"
BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
MESSAGES = {
    400: "Bad request",
    401: "Missing or invalid access token",
    403: "Outside the token's scopes, or not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Too large",
    422: "Validation failed",
    429: "Too many requests",
    503: "Unavailable",
}


def _schema(kind: Any, components: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = TypeAdapter(kind).json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    return schema


def _error_codes(route: Route) -> set[int]:
    codes = set(route.errors)
    if route.params is not None:
        codes |= {400, 422}
    if route.auth != "none":
        codes |= {401, 403}
    if route.auth == "user":
        codes.add(422)
    if "{" in route.path:
        codes.add(404)
    if route.method in WRITE_METHODS:
        codes.add(429)
    return codes


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[^/]+$"},
        }
        for name in re.findall(r"\{(\w+)\}", route.path)
    ]
    operation: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{route.handler.__name__}",
        "summary": route.summary,
        "tags": [route.tag],
    }
    if route.params is not None:
        schema = _schema(route.params, components, "validation")
        if route.method in WRITE_METHODS:
            content = {kind: {"schema": schema} for kind in BODY_TYPES}
            operation["requestBody"] = {
                "required": bool(schema.get("required")),
                "content": content,
            }
        else:
            required = set(schema.get("required", []))
            for name, prop in schema.get("properties", {}).items():
                parameters.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": name in required,
                        "schema": prop,
                        **(
                            {"style": "form", "explode": True}
                            if prop.get("type") == "array"
                            else {}
                        ),
                    }
                )
    if parameters:
        operation["parameters"] = parameters
    if route.auth in ("user", "app"):
        operation["security"] = [{"bearer": []}]
    elif route.auth == "optional":
        operation["security"] = [{"bearer": []}, {}]
    else:
        operation["security"] = []
    response: dict[str, Any] = {"description": "Success"}
    if route.response is not None:
        response["content"] = {
            "application/json": {"schema": _schema(route.response, components, "serialization")}
        }
    responses: dict[str, Any] = {str(route.status): response}
    error = {"content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
    for code in sorted(_error_codes(route)):
        if code < 400:  # another success status (202 or 206 while media is processed)
            responses.setdefault(str(code), response)
            continue
        responses.setdefault(str(code), {"description": MESSAGES.get(code, "Error"), **error})
    operation["responses"] = responses
    return operation


@cache
def document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    _schema(Error, components, "serialization")
    components.setdefault("Error", Error.model_json_schema(ref_template=REF))
    paths: dict[str, Any] = {}
    for route in api.routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{site_state.site_name()} API",
            "version": __version__,
            "description": "A Mastodon-compatible client API.",
        },
        "servers": [{"url": settings.BASE_URL}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(dumps(document()), content_type="application/json")
