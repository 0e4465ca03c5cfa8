"""The write layer for what the API keeps of its own: registered apps, access tokens made
outside the OAuth endpoints (registration), reading markers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import get_access_token_model, get_application_model
from oauthlib.common import generate_token

from townsquare.accounts.models import User
from townsquare.api.models import AppInfo, Marker
from townsquare.notifications import actions as notification_actions

MAX_ID = 2**63 - 1


def register_app(
    *, name: str, redirect_uris: Sequence[str], scopes: str, website: str
) -> tuple[Any, AppInfo, str]:
    """A client application (Mastodon's POST /api/v1/apps): the app, what Mastodon records
    beside it, and its client secret in the clear (stored hashed, shown this once)."""
    Application = get_application_model()
    secret = generate_client_secret()
    with transaction.atomic():
        app = Application.objects.create(
            name=name,
            client_id=generate_client_id(),
            client_secret=secret,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris="\n".join(redirect_uris),
            skip_authorization=False,
        )
        info = AppInfo.objects.create(application=app, scopes=scopes, website=website)
    return app, info, secret


def issue_token(user: User, application_id: int | None, scope: str) -> tuple[str, datetime]:
    """An access token for `user` through `application_id` (registration through the API
    signs the new member in at once, as Mastodon does): the raw token and when it was made."""
    token_value = generate_token()
    lifetime: dict[str, Any] = settings.OAUTH2_PROVIDER
    token = get_access_token_model().objects.create(
        user=user,
        application_id=application_id,
        token=token_value,
        scope=scope,
        expires=timezone.now() + timedelta(seconds=int(lifetime["ACCESS_TOKEN_EXPIRE_SECONDS"])),
    )
    return token_value, token.created


def save_markers(member: User, last_read: Mapping[str, int]) -> list[Marker]:
    """Record where `member` stopped reading each timeline in `last_read` ("home",
    "notifications"); each save counts one more version. Reading notifications up to an id
    also marks them read, so the site's badge agrees with the app."""
    for timeline, last_id in last_read.items():
        if timeline not in Marker.Timeline.values:
            raise ValidationError(
                _("%(name)s is not a timeline with a marker.") % {"name": timeline}
            )
        if not 0 <= last_id <= MAX_ID:
            raise ValidationError(_("last_read_id is not an id."))
    saved: list[Marker] = []
    now = timezone.now()
    with transaction.atomic():
        for timeline, last_id in last_read.items():
            changed = Marker.objects.filter(user=member, timeline=timeline).update(
                last_read_id=last_id, version=F("version") + 1, updated_at=now
            )
            if not changed:
                try:
                    with transaction.atomic():
                        Marker.objects.create(
                            user=member,
                            timeline=timeline,
                            last_read_id=last_id,
                            version=1,
                            updated_at=now,
                        )
                except IntegrityError:  # saved at the same moment by another request
                    Marker.objects.filter(user=member, timeline=timeline).update(
                        last_read_id=last_id, version=F("version") + 1, updated_at=now
                    )
            if timeline == Marker.Timeline.NOTIFICATIONS:
                notification_actions.mark_read_through(member, last_id)
        saved = list(Marker.objects.filter(user=member, timeline__in=list(last_read)))
    return saved
