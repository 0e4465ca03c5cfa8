"""Members, follows and tokens for the streaming tests, made in the live server's database.

Run by tests/realtime/conftest.py with the server's environment; prints one JSON line:
{name: {"id": ..., "token": ..., "username": ...}} plus limited tokens.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import get_access_token_model, get_application_model  # noqa: E402

from townsquare.accounts import actions as accounts  # noqa: E402
from townsquare.api.models import AppInfo  # noqa: E402
from townsquare.graph import actions as graph  # noqa: E402

Application = get_application_model()
app = Application.objects.create(
    name="Streaming test app",
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris="urn:ietf:wg:oauth:2.0:oob",
)
AppInfo.objects.create(application=app, scopes="read write follow push")


def token(user: object, scopes: str = "read write follow push") -> str:
    raw = secrets.token_urlsafe(24)
    get_access_token_model().objects.create(
        user=user,
        application=app,
        token=raw,
        scope=scopes,
        expires=timezone.now() + timedelta(days=1),
    )
    return raw


out: dict[str, dict[str, object]] = {}
users = {}
for name in ("rosa", "basil", "clover", "dill"):
    user = accounts.create_user(name, f"{name}@example.org", None, email_confirmed=True)
    users[name] = user
    out[name] = {"id": str(user.pk), "username": name, "token": token(user)}
graph.follow(users["basil"], users["rosa"])  # basil reads rosa at home
graph.follow(users["clover"], users["rosa"])
graph.mute(users["clover"], users["dill"])  # clover never sees dill's posts streamed
# Signed-in browser sessions (the site's own pages open their live connection with them).
for name, user in users.items():
    browser = Client()
    browser.force_login(user)
    out[name]["session"] = browser.cookies[settings.SESSION_COOKIE_NAME].value
out["basil"]["write_only"] = token(users["basil"], "write:statuses")
out["basil"]["notifications_only"] = token(users["basil"], "read:notifications")
print(json.dumps(out))
