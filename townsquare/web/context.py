from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from townsquare.graph.models import FollowRequest

# Pages every layout links to. Resolved once per process: `{% url %}` costs a reverse() per
# use, and the layout is on every page, the home feed included.
_LAYOUT_URLS = (
    "home",
    "public",
    "follow_requests",
    "edit_profile",
    "logout",
    "login",
    "signup",
    "home_new",
    "compose",
)


# Each area of the site keeps its own stylesheet (and, where it needs one, script).
AREA_STYLESHEETS = tuple(
    f"townsquare/{area}.css" for area in ("notifications", "media", "links", "polls", "search")
)
AREA_SCRIPTS = ("townsquare/links.js",)


@functools.cache
def layout_urls() -> dict[str, str]:
    return {name: reverse(name) for name in _LAYOUT_URLS}


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    member = user if user is not None and user.is_authenticated else None
    return {
        "site_name": settings.SITE_NAME,
        "max_post_length": settings.TOWNSQUARE["MAX_POST_LENGTH"],
        "urls": layout_urls(),
        "area_stylesheets": AREA_STYLESHEETS,
        "area_scripts": AREA_SCRIPTS,
        "my_profile_url": reverse("profile", args=[member.username]) if member else "",
        # Only accounts that approve followers can have requests waiting.
        "pending_requests": (
            FollowRequest.objects.filter(followee=member).count()
            if member is not None and member.locked
            else 0
        ),
    }
