"""Request parameters as Mastodon clients send them, read into one nested dict.

Clients send writes as form-urlencoded, multipart, JSON or plain query parameters (some send a
POST with no body and no Content-Type at all); arrays as `key[]=a&key[]=b` (or a repeated key),
nested objects as `source[privacy]=private` or `poll[options][]=x`, and booleans as
`1/0/true/false`. Everything is read into one dict, later sources overriding earlier ones
(query, then body), and then validated by the endpoint's pydantic model.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any, ClassVar, TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from townsquare.api.errors import ApiError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _path(key: str) -> list[str]:
    """`a[b][]` -> ["a", "b", ""]; a key that is not bracketed is one part."""
    match = _KEY.match(key)
    if not match:
        return [key]
    head, rest = match.groups()
    return [head, *re.findall(r"\[([^\[\]]*)\]", rest)]


def _put(target: dict[str, Any], parts: list[str], values: list[Any]) -> None:
    node: Any = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = parts[index + 1] if not last else None
        if last:
            if part == "":  # `key[]`: a list of every value
                if isinstance(node, list):  # (an empty key name, "", has no list to go in)
                    node.extend(values)
            elif isinstance(node, dict):
                node[part] = values if len(values) > 1 else values[0]
            return
        if following == "":  # the next level is a list
            if not isinstance(node, dict):  # `a[][]`: not sent by any client we know
                return
            child = node.setdefault(part, [])
            if not isinstance(child, list):
                child = []
                node[part] = child
            if index + 1 == len(parts) - 1:
                child.extend(values)
                return
            node = child
            continue
        if isinstance(node, list):  # `a[][b]` (filters' keywords_attributes): value i -> item i
            if part == "" and index + 1 == len(parts) - 1:
                node.extend({} for _ in range(len(values) - len(node)))
                for item, value in zip(node, values, strict=False):
                    if isinstance(item, dict):
                        item[parts[-1]] = value
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child


def _merge_flat(target: dict[str, Any], items: list[tuple[str, list[Any]]]) -> None:
    for key, values in items:
        if not values:
            continue
        _put(target, _path(key), values)


def collect(request: HttpRequest) -> dict[str, Any]:
    """Every parameter of `request` (query string, then form, multipart or JSON body)."""
    data: dict[str, Any] = {}
    _merge_flat(data, list(request.GET.lists()))
    data = collect_body(request, data)
    if has_nul(data):
        raise ApiError(422, gettext("Validation failed: text may not contain NUL characters"))
    return data


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in `value` (PostgreSQL refuses to store or even
    compare one: it would be a server error further on)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def collect_body(request: HttpRequest, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parameters in the body of `request` (merged into `data` when given)."""
    data = {} if data is None else data
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return data
    content_type = (request.content_type or "").lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        body = request.body
        if body.strip():
            try:
                parsed = json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise ApiError(400, gettext("The request body is not valid JSON")) from exc
            if not isinstance(parsed, dict):
                raise ApiError(400, gettext("The request body must be a JSON object"))
            data.update(parsed)
        return data
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form, uploads = _form(request, content_type)
        _merge_flat(data, list(form.lists()))
        files: list[tuple[str, list[Any]]] = [(key, list(uploads.getlist(key))) for key in uploads]
        _merge_flat(data, files)
    return data


def _form(request: HttpRequest, content_type: str) -> tuple[Any, Any]:
    """The form fields and files of the body. Django parses them only for POST; Mastodon
    clients also send PATCH and PUT (update_credentials, editing a status) as forms."""
    if request.method == "POST":
        return request.POST, request.FILES
    if content_type == "multipart/form-data":
        try:
            return request.parse_file_upload(request.META, io.BytesIO(request.body))
        except MultiPartParserError as exc:
            raise ApiError(
                400, gettext("The request body is not valid multipart form data")
            ) from exc
    return QueryDict(request.body, encoding=request.encoding), {}


def _message(error: ValidationError) -> tuple[int, str]:
    """A Mastodon-style message for the first problem: 400 for a missing parameter, 422 for
    a value that does not fit."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__")
    if first.get("type") == "missing":
        return 400, gettext("Missing parameter: %(name)s") % {"name": field}
    text = str(first.get("msg", gettext("is invalid"))).removeprefix("Value error, ")
    reason = f"{field} {text}".strip()
    return 422, gettext("Validation failed: %(reasons)s") % {"reasons": reason}


class Params(BaseModel):
    """Base of every endpoint's parameters. Empty strings count as "not given" (clients send
    `max_id=` and `in_reply_to_id=`), except for the fields in `keep_empty`, where an empty
    string means "clear this" (a display name, a bio)."""

    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True)
    keep_empty: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: v
                for k, v in value.items()
                if not (v == "" and k not in cls.keep_empty) and v is not None
            }
        return value


P = TypeVar("P", bound=Params)


def parse(model: type[P], data: dict[str, Any]) -> P:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        status, message = _message(exc)
        raise ApiError(status, message) from exc


def is_file(value: Any) -> bool:
    return isinstance(value, UploadedFile)
