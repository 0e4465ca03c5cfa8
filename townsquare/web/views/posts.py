"""Home feed, public and tag timelines, composing, permalinks, deleting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts.models import User
from townsquare.core.pagination import parse_cursor
from townsquare.core.ratelimit import RateLimited
from townsquare.feeds.queries import LIVE_LIMIT, home_feed, home_feed_since, live_cursor
from townsquare.posts import actions, queries
from townsquare.posts.queries import ListedPost
from townsquare.web.forms import PostForm
from townsquare.web.views.common import apply_errors, parse_id, safe_next


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _timeline_response(
    request: HttpRequest,
    template: str,
    context: dict,
    posts: list[ListedPost],
    next_max_id: int | None,
) -> HttpResponse:
    context = {**context, "posts": posts, "next_max_id": next_max_id}
    if _is_htmx(request) and request.GET.get("max_id"):
        return render(request, "web/_post_page.html", context)
    return render(request, template, context)


def _next_cursor(posts: list[ListedPost], limit: int) -> int | None:
    return posts[-1].pk if len(posts) == limit else None


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        posts = queries.public_timeline(None, limit=10)
        return render(request, "web/landing.html", {"posts": posts})
    return _home(request, PostForm())


def _home(request: HttpRequest, form: PostForm, status: int = 200) -> HttpResponse:
    assert isinstance(request.user, User)
    cursor = parse_cursor(request.GET)
    live = cursor.max_id is None
    feed = home_feed(request.user, max_id=cursor.max_id, limit=cursor.limit)
    top_id = live_cursor(feed.posts) if live else 0
    context = {"form": form, "top_id": top_id, "live": live}
    response = _timeline_response(request, "web/home.html", context, feed.posts, feed.next_max_id)
    response.status_code = status
    return response


@require_GET
def home_new(request: HttpRequest) -> HttpResponse:
    """Live updates for the home feed: what arrived after entry `since`, and the next poller."""
    if not isinstance(request.user, User):
        # Signed out meanwhile (or the session expired): 286 tells htmx to stop polling,
        # rather than swapping a login page into the feed.
        return HttpResponse(status=286)
    since = parse_id(request.GET.get("since")) or 0
    posts = home_feed_since(request.user, since)
    context = {
        "posts": posts,
        "top_id": live_cursor(posts, since),
        "more_than_shown": len(posts) == LIVE_LIMIT,
    }
    return render(request, "web/_feed_new.html", context)


@require_GET
def public_timeline(request: HttpRequest) -> HttpResponse:
    cursor = parse_cursor(request.GET)
    posts = queries.public_timeline(request.user, max_id=cursor.max_id, limit=cursor.limit)
    return _timeline_response(
        request, "web/public.html", {}, posts, _next_cursor(posts, cursor.limit)
    )


@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    cursor = parse_cursor(request.GET)
    posts = queries.tag_timeline(request.user, name, max_id=cursor.max_id, limit=cursor.limit)
    return _timeline_response(
        request, "web/tag.html", {"tag": name.lower()}, posts, _next_cursor(posts, cursor.limit)
    )


@login_required
@require_POST
def compose(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = PostForm(request.POST)
    if form.is_valid():
        try:
            actions.create_post(
                request.user,
                text=form.cleaned_data["text"],
                visibility=form.cleaned_data["visibility"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Posted.")
            return redirect(safe_next(request, reverse("home")))
    return _home(request, form, status=400)


@require_GET
def post_detail(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = queries.get_visible(request.user, post_id)
    if post is None or post.author.username.lower() != username.lower():
        raise Http404("No such post, or you cannot see it.")
    if post.author.username != username:
        return redirect("post", post.author.username, post.pk, permanent=True)
    return render(request, "web/post.html", {"post": post, "posts": [post]})


@login_required
@require_POST
def delete_post(request: HttpRequest, post_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    post = queries.get_visible(request.user, post_id)
    if post is None:
        raise Http404("No such post.")
    actions.delete_post(request.user, post)  # PermissionDenied becomes a 403 page
    messages.success(request, "Your post is deleted.")
    return redirect(safe_next(request, reverse("profile", args=[post.author.username])))
