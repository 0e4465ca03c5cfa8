"""Who is calling: the bearer token (header, or `access_token` parameter), read once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.api import scopes as scope_rules
from townsquare.core.rows import ModelReader


@dataclass(frozen=True, slots=True)
class Auth:
    user: User | None  # None for an app's own token (client_credentials)
    scopes: frozenset[str]
    application_id: int | None
    token_id: int

    def allows(self, wanted: str | tuple[str, ...]) -> bool:
        options = (wanted,) if isinstance(wanted, str) else wanted
        return any(scope_rules.covers(self.scopes, option) for option in options)


def bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    token = request.GET.get("access_token") or (
        request.POST.get("access_token") if request.method == "POST" else None
    )
    return token or None


def _moment(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite, for a column read outside the model's fields
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


_MEMBER = ModelReader(User)


def token_auth(raw: str) -> Auth | None:
    """The Auth for a raw token, or None when it is unknown, expired or its member is gone.

    One plain SQL statement for the token and its member, the member built straight from the
    row (the ORM's select_related cost about 1 ms a request here, a raw queryset 0.2 ms)."""
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id, t.expires, t.scope, t.application_id, t.user_id, {_MEMBER.columns('u')}"  # noqa: S608
            " FROM oauth2_provider_accesstoken t LEFT JOIN accounts_user u ON u.id = t.user_id"
            " WHERE t.token_checksum = %s",
            [checksum],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, expires, scope, application_id, user_id = row[:5]
    # An app's own token (client credentials) has no member.
    user = _MEMBER.build(row[5:]) if user_id is not None else None
    if _moment(expires) <= timezone.now():
        return None
    if user is not None and not user.is_active:
        return None
    return Auth(
        user=user,
        scopes=frozenset(scope_rules.normalize(scope)),
        application_id=application_id,
        token_id=token_id,
    )
