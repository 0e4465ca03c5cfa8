"""The API's routes: one registry that builds the URL patterns and the OpenAPI schema, and
does for every endpoint what Mastodon does before its controller runs (read the token, check
the scope, count writes against the member's rate limit, read the parameters)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import (
    Resolver404,
    ResolverMatch,
    URLPattern,
    URLResolver,
    include,
    re_path,
)
from django.urls.resolvers import RegexPattern
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from townsquare.accounts.languages import supported_language
from townsquare.accounts.models import User
from townsquare.api import errors
from townsquare.api.auth import Auth, bearer, token_auth
from townsquare.api.errors import ApiError
from townsquare.api.json import dumps
from townsquare.api.params import Params, collect, parse
from townsquare.core.ratelimit import API_WRITES_PER_IP, WRITES_PER_ACCOUNT, RateLimited
from townsquare.feeds import actions as feed_actions

AuthRule = Literal["none", "optional", "user", "app"]
Scope = str | tuple[str, ...] | None

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Reply:
    """A handler's answer when it is not a plain 200 with a JSON body."""

    data: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # an already-encoded body
    content_type: str = "application/json; charset=utf-8"


@dataclass
class Call:
    request: HttpRequest
    auth: Auth | None
    params: Any

    @property
    def user(self) -> User:
        """The member calling; endpoints with auth="user" always have one."""
        if self.auth is None or self.auth.user is None:
            raise errors.unauthorized()
        return self.auth.user

    @property
    def viewer(self) -> User | None:
        return self.auth.user if self.auth else None


Handler = Callable[..., Any]


@dataclass
class Route:
    method: str
    path: str  # "/api/v1/statuses/{id}"
    handler: Handler
    auth: AuthRule
    scope: Scope
    params: type[Params] | None
    response: Any
    status: int
    summary: str
    tag: str
    errors: tuple[int, ...]
    rate_limited: bool


class Api:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        auth: AuthRule = "optional",
        scope: Scope = None,
        params: type[Params] | None = None,
        response: Any = None,
        status: int = 200,
        summary: str = "",
        tag: str = "",
        errors: tuple[int, ...] = (),
        rate_limited: bool = True,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method=method,
                    path=path,
                    handler=handler,
                    auth=auth,
                    scope=scope,
                    params=params,
                    response=response,
                    status=status,
                    summary=summary or (handler.__doc__ or "").strip().split("\n")[0],
                    tag=tag or (path.split("/")[3] if path.startswith("/api/") else "oauth"),
                    errors=errors,
                    rate_limited=rate_limited,
                )
            )
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **options)

    def urlpatterns(self) -> list[URLPattern | URLResolver]:
        """The routes as URL patterns, one group per resource (`api/v1/statuses`,
        `api/v1/timelines`, ...), inside a resolver that finds the group by dictionary."""
        by_path: dict[str, dict[str, Route]] = {}
        for route in self.routes:
            by_path.setdefault(route.path, {})[route.method] = route
        # Fixed paths before patterns, so /accounts/relationships is not read as an id.
        ordered = sorted(by_path.items(), key=lambda item: ("{" in item[0], item[0]))
        groups: dict[str, list[URLPattern]] = {}
        for path, methods in ordered:
            parts = path.strip("/").split("/")
            prefix = "/".join(parts[:3]) if len(parts) >= 3 and "{" not in parts[2] else ""
            rest = path.strip("/")[len(prefix) :]
            groups.setdefault(prefix, []).append(
                re_path(_regex(rest), csrf_exempt(_view(methods)), name=_name(path))
            )
        found: list[URLPattern | URLResolver] = []
        for prefix, patterns in groups.items():
            if prefix:
                found.append(re_path(f"^{re.escape(prefix)}", include(patterns)))
            else:
                found.extend(patterns)
        return [_ResourceResolver(found)]


class _ResourceResolver(URLResolver):
    """The API's routes, grouped by resource: a request goes straight to its resource's group
    (a dictionary lookup) instead of trying the groups one by one, as Django would (29 of them
    before the home timeline's). Anything else takes Django's usual walk, and `reverse` sees
    the same patterns."""

    def __init__(self, patterns: list[URLPattern | URLResolver]) -> None:
        super().__init__(RegexPattern(r"^"), patterns)
        self._by_prefix = {
            str(p.pattern).lstrip("^").replace("\\", ""): p
            for p in patterns
            if isinstance(p, URLResolver)
        }

    def resolve(self, path: str) -> ResolverMatch:
        group = self._by_prefix.get("/".join(str(path).split("/", 3)[:3]))
        if group is not None:
            try:
                return group.resolve(path)
            except Resolver404:
                pass
        return super().resolve(path)


def _regex(path: str) -> str:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return f"^{pattern}/?$"  # with or without the trailing slash, as Mastodon answers


def _name(path: str) -> str:
    return "api-" + path.strip("/").replace("/", "-")


def error_response(exc: ApiError) -> HttpResponse:
    response = HttpResponse(
        dumps({"error": exc.message}),
        status=exc.status,
        content_type="application/json; charset=utf-8",
    )
    for name, value in exc.headers.items():
        response[name] = value
    return response


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages) or _("is invalid")


def _view(methods: dict[str, Route]) -> Callable[..., HttpResponse]:
    allowed = ", ".join(sorted(methods))

    def view(request: HttpRequest, **kwargs: str) -> HttpResponse:
        method = "GET" if request.method == "HEAD" else (request.method or "GET")
        route = methods.get(method)
        if route is None:
            response = error_response(ApiError(405, _("Method not allowed")))
            response["Allow"] = allowed
            return response
        try:
            return _run(route, request, kwargs)
        except ApiError as exc:
            return error_response(exc)
        except RateLimited as exc:
            return error_response(errors.too_many(exc.retry_after))
        except ValidationError as exc:
            return error_response(errors.unprocessable(_message(exc)))
        except PermissionDenied as exc:
            return error_response(ApiError(403, str(exc) or _("This action is not allowed")))
        except Http404:
            return error_response(errors.not_found())

    return view


def _authenticate(route: Route, request: HttpRequest) -> Auth | None:
    auth: Auth | None = None
    raw = bearer(request) if route.auth != "none" else None
    if raw:
        auth = token_auth(raw)
        if auth is None:
            raise errors.unauthorized()
        # The member's own language, over the browser's (LanguageMiddleware picked that).
        chosen = supported_language(auth.user.language) if auth.user is not None else None
        if chosen:
            translation.activate(chosen)
    if route.auth == "user":
        if auth is None:
            raise errors.unauthorized()
        if auth.user is None:
            raise ApiError(422, _("This method requires an authenticated user"))
    if route.auth == "app" and auth is None:
        raise errors.unauthorized()
    if auth is not None and auth.user is not None and auth.user.is_suspended:
        # As Mastodon: a suspended member's apps are refused (the web shows them why).
        raise ApiError(403, _("Your login is currently disabled"))
    if auth is not None and route.scope and not auth.allows(route.scope):
        raise errors.forbidden_scope()
    if auth is not None and auth.user is not None and auth.user.active_on != timezone.localdate():
        feed_actions.touch(auth.user)  # once a day; rebuilds the home feed after a long absence
    return auth


def _run(route: Route, request: HttpRequest, kwargs: dict[str, str]) -> HttpResponse:
    if any("\x00" in value for value in kwargs.values()):
        raise errors.not_found()  # no id or name has a NUL in it (PostgreSQL cannot look one up)
    auth = _authenticate(route, request)
    if request.method in WRITE_METHODS:
        API_WRITES_PER_IP.hit(request.META.get("REMOTE_ADDR") or "-")
        if route.rate_limited and auth and auth.user:
            WRITES_PER_ACCOUNT.hit(str(auth.user.pk))
    params = parse(route.params, collect(request)) if route.params is not None else None
    result = route.handler(Call(request, auth, params), **kwargs)
    if isinstance(result, HttpResponse):
        return result
    reply = result if isinstance(result, Reply) else Reply(result, status=route.status)
    body = reply.raw if reply.raw is not None else dumps(reply.data)
    response = HttpResponse(body, status=reply.status, content_type=reply.content_type)
    for name, value in reply.headers.items():
        response[name] = value
    return response


def object_id(raw: str) -> int:
    """An id from the path: a 64-bit number, or 404 (as Mastodon answers a bad id)."""
    if not raw.isdigit() or len(raw) > 19:
        raise errors.not_found()
    value = int(raw)
    if value >= 2**63:
        raise errors.not_found()
    return value


@csrf_exempt
def unknown_endpoint(request: HttpRequest) -> HttpResponse:
    return error_response(errors.not_found())
