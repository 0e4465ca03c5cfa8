"""Who is calling: the bearer token (header, or `access_token` parameter), read once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

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


def token_auth(raw: str) -> Auth | None:
    """The Auth for a raw token, or None when it is unknown, expired or its member is gone."""
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    token = (
        get_access_token_model()
        .objects.select_related("user")
        .filter(token_checksum=checksum)
        .only(
            "id",
            "expires",
            "scope",
            "application_id",
            *(f"user__{f.attname}" for f in User._meta.concrete_fields),
        )
        .first()
    )
    if token is None or token.expires <= timezone.now():
        return None
    user = token.user
    if user is not None and not user.is_active:
        return None
    return Auth(
        user=user,
        scopes=frozenset(scope_rules.normalize(token.scope)),
        application_id=token.application_id,
        token_id=token.pk,
    )
