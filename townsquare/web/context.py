from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from townsquare.graph.models import FollowRequest
from townsquare.messaging.queries import unread_conversations_sql
from townsquare.notifications.queries import unread_count_sql
from townsquare.realtime.pages import live_url
from townsquare.site import announcements, features
from townsquare.site import state as site_state
from townsquare.site.limits import current_limits
from townsquare.web import appearance

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
    "notifications",
    "bookmarks",
    "search",
    "trending",
    "blocks",
    "messages",
    "privacy_settings",
    "groups",
    "events",
    "pages",
    "choose_language",
)
_POLL_SLOTS = range(1, 5)
_POLL_MORE_SLOTS = range(5, 11)


# Each area of the site keeps its own stylesheet (and, where it needs one, script).
AREA_STYLESHEETS = tuple(
    f"townsquare/{area}.css"
    for area in ("notifications", "media", "links", "polls", "search", "messages", "events")
)
AREA_SCRIPTS = ("townsquare/links.js",)


class _Once:
    """A value computed the first time a template asks for it (templates call callables)."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        self.compute = compute
        self.done = False
        self.value: Any = None

    def __call__(self) -> Any:
        if not self.done:
            self.value, self.done = self.compute(), True
        return self.value


def composer_extras() -> SafeString:
    """The empty composer's media and poll sections: the same for everyone, rendered once
    for each choice of the operator's that shapes them (measured: 2 ms a page through the
    template engine)."""
    return _composer_extras(
        current_limits().media_per_post,
        features.enabled("video"),
        features.enabled("polls"),
        translation.get_language(),
    )


@functools.lru_cache(maxsize=32)
def _composer_extras(media_per_post: int, video: bool, polls: bool, language: str) -> SafeString:
    from townsquare.web.forms import PostForm

    context = {
        "form": PostForm(with_extras=True),
        "max_media_per_post": media_per_post,
        "features": {"video": video, "polls": polls},
        "poll_slots": _POLL_SLOTS,
        "poll_more_slots": _POLL_MORE_SLOTS,
    }
    return mark_safe(render_to_string("web/_composer_extras.html", context))  # noqa: S308


@functools.cache
def layout_urls() -> dict[str, str]:
    return {name: reverse(name) for name in _LAYOUT_URLS}


def menu_badges(member: Any) -> dict[str, int]:
    """The numbers on the menu (unread notifications, conversations with unread messages),
    counted in one statement: the menu is on every full page."""
    parts: list[str] = []
    params: list[Any] = []
    for sql, part_params in (
        unread_count_sql(member),
        unread_conversations_sql(member) if features.enabled("messages") else ("SELECT 0", []),
    ):
        parts.append(f"({sql})")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)  # noqa: S608 - the apps' own SQL
        notifications, messages = cursor.fetchone()
    return {"notifications": int(notifications), "messages": int(messages)}


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    member = user if user is not None and user.is_authenticated else None
    limits = current_limits()
    return {
        "site_name": site_state.site_name(),
        # The operator's theme, colours, logo, favicon, custom CSS and footer (worked out once
        # per change of the settings), and the colour mode: the member's own or the site's.
        **appearance.layout(request),
        "max_post_length": limits.post_length,
        "max_media_per_post": limits.media_per_post,
        "poll_slots": _POLL_SLOTS,
        "poll_more_slots": _POLL_MORE_SLOTS,
        "composer_extras": composer_extras,
        "urls": layout_urls(),
        "area_stylesheets": AREA_STYLESHEETS,
        "area_scripts": AREA_SCRIPTS,
        "my_profile_url": reverse("profile", args=[member.username]) if member else "",
        # Lazy: only pages that show the menu pay for the badge (fragments do not).
        "badges": _Once(lambda: menu_badges(member)) if member is not None else {},
        # Where a member's page opens its live connection (none for visitors).
        "live_url": live_url(request.scheme or "http", request.get_host()) if member else "",
        "features": features.switches,  # {name: on?}, read at most every few seconds
        # The banner: announcements up and not dismissed (a query only when one is up).
        "announcements": _Once(
            lambda: announcements.banner(member, request.COOKIES.get(announcements.COOKIE))
        ),
        # Only accounts that approve followers (or everyone, in friends mode) can have
        # requests waiting.
        "pending_requests": (
            FollowRequest.objects.filter(followee=member).count()
            if member is not None and (member.locked or features.enabled("friends_mode"))
            else 0
        ),
    }
