"""OAuth apps and access tokens made directly in the database, as the tests' members and the
seeds of child processes (the live servers', the crash tests') need them. No pytest here, so
a child process with Django set up imports it cheaply."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from townsquare.accounts.models import User
from townsquare.api.models import AppInfo

ALL_SCOPES = "read write follow push"


def make_app(name: str = "Garden app", scopes: str = ALL_SCOPES) -> Any:
    Application = get_application_model()
    app = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob",
    )
    AppInfo.objects.create(application=app, scopes=scopes)
    return app


def make_token(
    user: User | None, scopes: str = ALL_SCOPES, app: Any = None, days: int = 365
) -> str:
    """A raw access token for `user` (None: an app token) with `scopes`."""
    raw = secrets.token_urlsafe(24)
    get_access_token_model().objects.create(
        user=user,
        application=app or make_app(scopes=scopes),
        token=raw,
        scope=scopes,
        expires=timezone.now() + timedelta(days=days),
    )
    return raw
