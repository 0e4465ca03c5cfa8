"""The write layer for the operator's settings."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from townsquare.site import features
from townsquare.site.models import FeatureSwitch


def set_feature(name: str, *, enabled: bool) -> None:
    """Switch a feature on or off for the whole site (UnknownFeature for a name not in the
    list). Switching friends mode off turns the friend requests waiting for members who do
    not approve followers into follows."""
    if name not in features.FEATURES:
        raise features.UnknownFeature(name)
    with transaction.atomic():
        FeatureSwitch.objects.update_or_create(
            name=name, defaults={"enabled": enabled, "changed_at": timezone.now()}
        )
    transaction.on_commit(features.forget)
    features.forget()
    if name == "friends_mode" and not enabled:
        from townsquare.graph.actions import settle_friend_requests

        settle_friend_requests()
