"""Who is calling: the bearer token (header, or `access_token` parameter), read once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from townsquare.accounts.models import User
from townsquare.api import scopes as scope_rules


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


def token_auth(raw: str) -> Auth | None:
    """The Auth for a raw token, or None when it is unknown, expired or its member is gone.

    One raw query for the token and its member (the ORM's select_related cost about 1 ms a
    request here, more than the query)."""
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    found = list(
        User.objects.raw(
            "SELECT u.*, t.id AS token_pk, t.expires AS token_expires, t.scope AS token_scope,"
            " t.application_id AS token_app FROM oauth2_provider_accesstoken t"
            " JOIN accounts_user u ON u.id = t.user_id WHERE t.token_checksum = %s",
            [checksum],
        )
    )
    if found:
        user: User | None = found[0]
        token_id, expires, scope, application_id = (
            getattr(found[0], name)
            for name in ("token_pk", "token_expires", "token_scope", "token_app")
        )
    else:  # an app's own token (client credentials) has no member
        token = (
            get_access_token_model()
            .objects.filter(token_checksum=checksum, user__isnull=True)
            .values_list("id", "expires", "scope", "application_id")
            .first()
        )
        if token is None:
            return None
        user = None
        token_id, expires, scope, application_id = token
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
