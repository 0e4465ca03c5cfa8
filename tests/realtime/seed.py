"""Members, follows and tokens for the streaming tests, made in the live server's database.

Run by tests/realtime/conftest.py (python -m tests.realtime.seed) with the server's environment;
prints one JSON line:
{name: {"id": ..., "token": ..., "username": ...}} plus limited tokens.
"""

from __future__ import annotations

import json
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from tests.tokens import make_app, make_token  # noqa: E402
from townsquare.accounts import actions as accounts  # noqa: E402
from townsquare.graph import actions as graph  # noqa: E402

app = make_app("Streaming test app")


def token(user: Any, scopes: str = "read write follow push") -> str:
    return make_token(user, scopes, app, days=1)


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
