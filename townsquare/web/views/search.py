"""The search page: one box for people, hashtags and posts (a plain GET form)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from townsquare.accounts.models import User
from townsquare.core.ratelimit import Limit, RateLimited
from townsquare.search import queries
from townsquare.search.terms import Kind, parse
from townsquare.web.views.common import client_ip

# Searches are reads, but post search is the costliest read: cap it per member or address.
SEARCHES_PER_CLIENT = Limit("search", 300, 5 * 60)
TABS = ("all", "people", "hashtags", "posts")
PREVIEW = 5  # people and hashtags shown on the "all" tab
PER_PAGE = 20


def _page(raw: str | None) -> int:
    try:
        page = int(raw or "1")
    except ValueError:
        return 1
    return min(max(page, 1), queries.MAX_PAGE)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q")
    query = parse(raw)
    tab = request.GET.get("type") or ""
    posts_on = queries.post_search_enabled()
    tabs = TABS if posts_on else tuple(name for name in TABS if name != "posts")
    if query.kind != Kind.ALL or tab not in tabs:  # a leading @ or # picks the tab
        tab = {Kind.PEOPLE: "people", Kind.HASHTAGS: "hashtags"}.get(query.kind, "all")
    page = _page(request.GET.get("page"))
    context: dict[str, Any] = {
        "q": (raw or "")[:200],
        "query": query,
        "tab": tab,
        "tabs": tabs,
        "post_search": posts_on,
    }
    if raw is None:
        return render(request, "web/search.html", context)
    if not query.searchable:
        context["message"] = query.message
        return render(request, "web/search.html", context)
    subject = str(request.user.pk) if request.user.is_authenticated else client_ip(request)
    try:
        SEARCHES_PER_CLIENT.hit(subject or "unknown")
    except RateLimited as exc:
        context["message"] = str(exc)
        return render(request, "web/search.html", context, status=429)
    viewer = request.user if isinstance(request.user, User) else None
    if tab in ("all", "people") and query.kind != Kind.HASHTAGS:
        limit = PREVIEW if tab == "all" else 40
        context["people"] = queries.search_people(viewer, query.text, limit=limit)
    if tab in ("all", "hashtags") and query.kind != Kind.PEOPLE:
        limit = PREVIEW if tab == "all" else 40
        context["hashtags"] = queries.search_hashtags(query.text, limit=limit)
    if tab in ("all", "posts") and query.kind == Kind.ALL and posts_on:
        result = queries.search_posts_page(viewer, query, page=page, limit=PER_PAGE)
        context.update(posts=result.posts, page=page, has_next=result.has_next)
        context["searched_posts"] = True
    return render(request, "web/search.html", context)
