"""django-oauth-toolkit, told Mastodon's rules: apps may use every grant their site allows,
redirect URIs match one of the app's exactly (custom schemes and the out-of-band URN
included), and scopes are Mastodon's, limited to what the app registered."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from townsquare.api import scopes as scope_rules

OOB = "urn:ietf:wg:oauth:2.0:oob"


def app_scopes(application: Any) -> list[str]:
    info = getattr(application, "mastodon", None)
    return scope_rules.normalize(info.scopes if info is not None else "read")


def redirect_uris(application: Any) -> list[str]:
    return [uri.strip() for uri in (application.redirect_uris or "").split() if uri.strip()]


class Scopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return scope_rules.ALL

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(scope_rules.ALL)

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return ["read"]


class Validator(OAuth2Validator):
    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if grant_type == "password":
            return bool(settings.TOWNSQUARE["OAUTH_PASSWORD_GRANT"])
        return grant_type in ("authorization_code", "client_credentials", "refresh_token")

    def validate_user(
        self, username: str, password: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """The password grant signs in only those the login page would: a member whose email
        is not confirmed (new, or sent back to confirm it by staff) gets no token this way;
        nor does an account with two-factor authentication (as on Mastodon, its apps log in
        through the browser, which asks for the code)."""
        if not super().validate_user(username, password, client, request, *args, **kwargs):
            return False
        if not getattr(request.user, "email_confirmed", False):
            return False
        from townsquare.accounts import two_factor

        return not two_factor.is_enabled(request.user)

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        if any(scope not in scope_rules.ALL for scope in scopes):
            return False
        return scope_rules.within(scopes, app_scopes(client))

    def get_default_scopes(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        # No scope asked for: Mastodon grants "read" (or what the app has, when less).
        allowed = app_scopes(request.client)
        return ["read"] if scope_rules.within(["read"], allowed) else allowed

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        return redirect_uri in redirect_uris(request.client)

    def get_default_redirect_uri(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> str | None:
        uris = redirect_uris(request.client)
        return uris[0] if uris else None
