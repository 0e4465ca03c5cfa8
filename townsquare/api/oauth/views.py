"""The OAuth2 endpoints: the site's own consent page, the token and revocation endpoints (which
take form, JSON or query parameters, as Mastodon's do) and the server metadata document."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_backends import OAuthLibCore

from townsquare.accounts import actions as account_actions
from townsquare.api import scopes as scope_rules
from townsquare.api.errors import ApiError
from townsquare.api.oauth.validator import OOB
from townsquare.api.params import collect, collect_body
from townsquare.core.ratelimit import LOGIN_FAILURES_PER_IP, RateLimited
from townsquare.web.views.common import client_ip


class _Core(OAuthLibCore):
    """The toolkit's oauthlib glue, reading the body as Mastodon does (form, multipart or
    JSON, with query parameters too)."""

    def extract_body(self, request: HttpRequest) -> list[tuple[str, str]]:
        data = collect_body(request)
        flat: list[tuple[str, str]] = []
        for key, value in data.items():
            if isinstance(value, list):
                value = " ".join(str(v) for v in value)
            if isinstance(value, bool):
                value = "true" if value else "false"
            if value is None or isinstance(value, dict):
                continue
            flat.append((key, str(value)))
        return flat


def _core() -> _Core:
    return _Core()


class _Redirect(HttpResponse):
    """A redirect to the app's own URI, whatever its scheme (myapp://, com.example.app:/)."""

    status_code = 302

    def __init__(self, location: str) -> None:
        super().__init__()
        self["Location"] = location


def _error_page(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(request, "api/oauth_error.html", {"message": message}, status=status)


def _without(query: str, name: str) -> str:
    pairs = [(k, v) for k, values in parse_qs(query).items() for v in values if k != name]
    return urlencode(pairs)


def authorize(request: HttpRequest) -> HttpResponse:
    """GET shows the consent page (after a login); POST answers it."""
    if request.GET.get("force_login", "").lower() in ("1", "true"):
        # The app wants a fresh login (to switch accounts): sign out, then back here.
        logout(request)
        here = f"{request.path}?{_without(request.META.get('QUERY_STRING', ''), 'force_login')}"
        return redirect(f"{reverse('login')}?{urlencode({'next': here})}")
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
    try:  # signed in before the block: no new app token from a blocked network either
        account_actions.refuse_blocked_network(client_ip(request))
    except account_actions.LoginRefused as exc:
        return _error_page(request, str(exc), status=403)
    core = _core()
    try:
        scopes, credentials = core.validate_authorization_request(request)
    except FatalClientError as exc:
        return _error_page(
            request, exc.oauthlib_error.description or _("This app is not known here.")
        )
    except OAuthToolkitError as exc:
        error = exc.oauthlib_error
        redirect_uri = getattr(error, "redirect_uri", None)
        if redirect_uri and redirect_uri != OOB:
            return _Redirect(error.in_uri(redirect_uri))
        return _error_page(request, error.description or _("The app's request is not valid."))
    application = (
        get_application_model()
        .objects.select_related("mastodon")
        .get(client_id=credentials["client_id"])
    )
    if request.method != "POST":
        return render(
            request,
            "api/authorize.html",
            {
                "app": application,
                "website": getattr(getattr(application, "mastodon", None), "website", ""),
                "scopes": [(s, scope_rules.ALL.get(s, s)) for s in scopes],
            },
        )
    allow = "allow" in request.POST
    try:
        uri, _headers, _body, _status = core.create_authorization_response(
            request, scopes, credentials, allow
        )
    except (FatalClientError, OAuthToolkitError) as exc:
        error = exc.oauthlib_error
        target = credentials.get("redirect_uri")
        if target and target != OOB:
            return _Redirect(_keep_case(error.in_uri(target), target))
        return _error_page(request, _("You did not allow this app."), status=403)
    if credentials.get("redirect_uri") == OOB:
        code = parse_qs(urlsplit(uri).query).get("code", [""])[0]
        return render(request, "api/oob.html", {"app": application, "code": code})
    return _Redirect(_keep_case(uri, credentials.get("redirect_uri") or ""))


def _keep_case(uri: str, registered: str) -> str:
    """oauthlib lower-cases the scheme when it adds the code; apps match their redirect URI as
    registered (com.example.App:/cb), so the registered spelling is put back."""
    if registered and uri.lower().startswith(registered.lower()):
        return registered + uri[len(registered) :]
    return uri


# What each OAuth error (RFC 6749, 5.2) means, in the caller's language: oauthlib's own
# descriptions are English only. The "error" code itself stays as the RFC spells it.
ERROR_DESCRIPTIONS = {
    "invalid_request": gettext_lazy(
        "The request is missing a parameter, repeats one, or has a value that is not supported."
    ),
    "invalid_client": gettext_lazy(
        "The app could not be identified: its id or secret is wrong, or it gave none."
    ),
    "invalid_grant": gettext_lazy(
        "The login, code or refresh token is not valid: wrong, expired, revoked, or given "
        "to another app or address."
    ),
    "unauthorized_client": gettext_lazy("This app may not get a token this way."),
    "unsupported_grant_type": gettext_lazy("This way of getting a token is not supported."),
    "invalid_scope": gettext_lazy("The scopes asked for are not valid or not allowed."),
    "access_denied": gettext_lazy("You did not allow this app."),
    "server_error": gettext_lazy("Something went wrong on the server; try again later."),
}


def _translated_error(body: str) -> str:
    """An OAuth error body with its description in the active language."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict) or data.get("error") not in ERROR_DESCRIPTIONS:
        return body
    data["error_description"] = str(ERROR_DESCRIPTIONS[data["error"]])
    return json.dumps(data)


def _json_response(body: str, status: int, headers: dict[str, str]) -> HttpResponse:
    if status >= 400:
        body = _translated_error(body)
    response = HttpResponse(body, status=status, content_type="application/json")
    for name, value in headers.items():
        if name.lower() != "content-type":
            response[name] = value
    return response


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"error": _("Method not allowed")}, status=405)
    try:
        password_grant = collect(request).get("grant_type") == "password"
    except ApiError as exc:  # a body that is not JSON, a NUL character
        return JsonResponse({"error": exc.message}, status=exc.status)
    if password_grant:
        try:
            account_actions.refuse_blocked_network(client_ip(request))
        except account_actions.LoginRefused as exc:
            return JsonResponse(
                {"error": "invalid_grant", "error_description": str(exc)}, status=403
            )
        try:
            LOGIN_FAILURES_PER_IP.check(client_ip(request) or "-")
        except RateLimited as exc:
            response = JsonResponse({"error": _("Too many requests")}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
    _uri, headers, body, status = _core().create_token_response(request)
    if status == 200:
        data: dict[str, Any] = json.loads(body)
        data.setdefault("created_at", int(time.time()))
        data.pop("expires_in", None)  # Mastodon tokens do not expire
        body = json.dumps(data)
    elif password_grant:
        with contextlib.suppress(RateLimited):
            LOGIN_FAILURES_PER_IP.hit(client_ip(request) or "-")
    return _json_response(body, status, headers)


@csrf_exempt
def revoke(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"error": _("Method not allowed")}, status=405)
    try:
        collect(request)
    except ApiError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    _uri, headers, body, status = _core().create_revocation_response(request)
    if status == 200:
        return JsonResponse({})
    if status in (401, 403):
        # Mastodon: a client that is not the token's own may not revoke it.
        return JsonResponse(
            {
                "error": "unauthorized_client",
                "error_description": _("You are not authorized to revoke this token"),
            },
            status=403,
        )
    return _json_response(body or "{}", status, headers)


def server_metadata(request: HttpRequest) -> HttpResponse:
    base = settings.BASE_URL
    return JsonResponse(
        {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "scopes_supported": list(scope_rules.ALL),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": [
                "authorization_code",
                "client_credentials",
                "refresh_token",
                *(["password"] if settings.TOWNSQUARE["OAUTH_PASSWORD_GRANT"] else []),
            ],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
        }
    )
