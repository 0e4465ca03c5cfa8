"""The write layer for what the API keeps of its own: reading markers."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.api.models import Marker
from townsquare.notifications import actions as notification_actions

MAX_ID = 2**63 - 1


def save_markers(member: User, last_read: Mapping[str, int]) -> list[Marker]:
    """Record where `member` stopped reading each timeline in `last_read` ("home",
    "notifications"); each save counts one more version. Reading notifications up to an id
    also marks them read, so the site's badge agrees with the app."""
    for timeline, last_id in last_read.items():
        if timeline not in Marker.Timeline.values:
            raise ValidationError(f"{timeline} is not a timeline with a marker.")
        if not 0 <= last_id <= MAX_ID:
            raise ValidationError("last_read_id is not an id.")
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
