from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    pending = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.locked:
        from townsquare.graph.models import FollowRequest

        pending = FollowRequest.objects.filter(followee=user).count()
    return {
        "site_name": settings.SITE_NAME,
        "max_post_length": settings.TOWNSQUARE["MAX_POST_LENGTH"],
        "pending_requests": pending,
    }
