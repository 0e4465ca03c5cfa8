"""Hashtag pages, trending hashtags, and following a hashtag."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts.models import User
from townsquare.core.pagination import parse_cursor
from townsquare.core.ratelimit import RateLimited
from townsquare.posts import actions, queries
from townsquare.posts.hashtags import follows_hashtag, trending
from townsquare.site import features
from townsquare.web.views.common import safe_next

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    if not request.user.is_authenticated and not features.enabled("public_timeline"):
        return redirect_to_login(request.get_full_path())  # as the public timeline
    cursor = parse_cursor(request.GET)
    posts = queries.tag_timeline(request.user, name, max_id=cursor.max_id, limit=cursor.limit)
    member = request.user if isinstance(request.user, User) else None
    context = {
        "tag": name.lower(),
        "posts": posts,
        "next_max_id": posts[-1].pk if len(posts) == cursor.limit else None,
        "following_tag": follows_hashtag(member, name),
        "trending_day": trending(DAY, limit=8),
    }
    if request.headers.get("HX-Request") == "true" and cursor.max_id:
        return render(request, "web/_post_page.html", context)
    return render(request, "web/tag.html", context)


@require_GET
def trends(request: HttpRequest) -> HttpResponse:
    columns = [
        (_("Today"), trending(DAY, limit=20)),
        (_("This week"), trending(WEEK, limit=20)),
    ]
    return render(request, "web/trending.html", {"columns": columns})


def _change(request: HttpRequest, name: str, follow: bool) -> HttpResponse:
    assert isinstance(request.user, User)
    try:
        if follow:
            actions.follow_hashtag(request.user, name)
            messages.success(
                request,
                _("You follow #%(tag)s: its posts reach your home.") % {"tag": name.lower()},
            )
        else:
            actions.unfollow_hashtag(request.user, name)
            messages.success(request, _("You no longer follow #%(tag)s.") % {"tag": name.lower()})
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except RateLimited as exc:
        messages.error(request, str(exc))
    return redirect(safe_next(request, f"/tags/{name.lower()}"))


@login_required
@require_POST
def follow_tag(request: HttpRequest, name: str) -> HttpResponse:
    return _change(request, name, True)


@login_required
@require_POST
def unfollow_tag(request: HttpRequest, name: str) -> HttpResponse:
    return _change(request, name, False)
