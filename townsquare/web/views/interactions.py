"""Likes, shares, bookmarks and pins from the post cards; who liked or shared a post; the
member's bookmarks. Every button is a plain form (it works without JavaScript); with htmx
the card is swapped in place."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts.models import User
from townsquare.accounts.queries import listed_people
from townsquare.core.pagination import parse_cursor
from townsquare.core.ratelimit import RateLimited
from townsquare.graph.queries import blocked_either_way as silencing_blocks
from townsquare.posts import actions, queries
from townsquare.posts.display import hydrate
from townsquare.posts.models import Bookmark, Like, Pin, Post
from townsquare.web import render as cards
from townsquare.web.views.common import safe_next

Act = Callable[[User, Post], object]

_ACTIONS: dict[str, tuple[Act, Promise]] = {
    "like": (actions.like, gettext_lazy("Liked.")),
    "unlike": (actions.unlike, gettext_lazy("Like removed.")),
    "share": (actions.share, gettext_lazy("Shared with your followers.")),
    "unshare": (actions.unshare, gettext_lazy("Share removed.")),
    "bookmark": (actions.bookmark, gettext_lazy("Bookmarked.")),
    "unbookmark": (actions.unbookmark, gettext_lazy("Bookmark removed.")),
    "pin": (actions.pin, gettext_lazy("Pinned to your profile.")),
    "unpin": (actions.unpin, gettext_lazy("Unpinned.")),
}


def _card_response(
    request: HttpRequest, member: User, post: Post, status: int, error: str = ""
) -> HttpResponse:
    """The post's card again, as it now is (for htmx, which swaps it in place), with the
    reason above it when the action was refused."""
    listed = queries.posts_by_id(member, [post.pk]).get(post.pk)
    if listed is None:  # unshared: the share is gone from this list
        return HttpResponse("", status=status)
    pinned = frozenset(
        Pin.objects.filter(user=member, post_id=post.pk).values_list("post_id", flat=True)
    )
    views = hydrate(member, [listed], pinned_ids=pinned)
    html = cards.post_cards(views, member, get_token(request), safe_next(request, "/"))
    if error:
        note = f'<p class="error" role="alert">{escape(error)}</p>'
        html = mark_safe(html.replace("</article>", f"{note}</article>", 1))  # noqa: S308
    return HttpResponse(html, status=status)


@login_required
@require_POST
def act(request: HttpRequest, post_id: int, verb: str) -> HttpResponse:
    assert isinstance(request.user, User)
    member = request.user
    post = queries.get_visible(member, post_id)
    if post is None or verb not in _ACTIONS:
        raise Http404("No such post, or you cannot see it.")
    action, done = _ACTIONS[verb]
    status, error = 200, ""
    try:
        action(member, post)
    except ValidationError as exc:
        status, error = 400, " ".join(exc.messages)
    except RateLimited as exc:
        status, error = 429, str(exc)
    if request.headers.get("HX-Request") == "true":
        return _card_response(request, member, post, status, error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, str(done))
    fallback = reverse("post", args=[post.author.username, post.pk])
    return redirect(safe_next(request, fallback))


def _post_or_404(request: HttpRequest, username: str, post_id: int) -> Post:
    post = queries.get_visible(request.user, post_id)
    if post is None or post.author.username.lower() != username.lower():
        raise Http404("No such post, or you cannot see it.")
    return post


def _people_page(
    request: HttpRequest, post: Post, title: str, rows: list[tuple[int, User]], limit: int
) -> HttpResponse:
    context = {
        "post": post,
        "title": title,
        "people": [user for _, user in rows],
        "next_max_id": rows[-1][0] if len(rows) == limit else None,
    }
    return render(request, "web/post_people.html", context)


@require_GET
def liked_by(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = _post_or_404(request, username, post_id)
    cursor = parse_cursor(request.GET, default_limit=40, max_limit=80)
    likes = Like.objects.filter(post=post, user__is_active=True).select_related("user")
    likes = likes.filter(listed_people(request.user, "user__"))
    if isinstance(request.user, User):  # nobody blocked either way
        likes = likes.exclude(silencing_blocks(request.user.pk, "user_id"))
    if cursor.max_id:
        likes = likes.filter(id__lt=cursor.max_id)
    rows = [(like.pk, like.user) for like in likes.order_by("-id")[: cursor.limit]]
    return _people_page(request, post, _("Liked by"), rows, cursor.limit)


@require_GET
def shared_by(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = _post_or_404(request, username, post_id)
    cursor = parse_cursor(request.GET, default_limit=40, max_limit=80)
    # Only shares the viewer may see (a share for followers only is not listed to others).
    shares = queries.visible_to(request.user, Post.objects.filter(reblog_of=post))
    shares = shares.select_related("author")
    if cursor.max_id:
        shares = shares.filter(id__lt=cursor.max_id)
    rows = [(share.pk, share.author) for share in shares.order_by("-id")[: cursor.limit]]
    return _people_page(request, post, _("Shared by"), rows, cursor.limit)


@login_required
@require_GET
def bookmarks(request: HttpRequest) -> HttpResponse:
    """The member's bookmarks, newest bookmark first (only posts they may still see)."""
    assert isinstance(request.user, User)
    cursor = parse_cursor(request.GET)
    marks = Bookmark.objects.filter(user=request.user)
    if cursor.max_id:
        marks = marks.filter(id__lt=cursor.max_id)
    rows = list(marks.order_by("-id").values_list("id", "post_id")[: cursor.limit])
    found = queries.posts_by_id(request.user, [post_id for _, post_id in rows])
    posts = [found[post_id] for _, post_id in rows if post_id in found]
    context = {"posts": posts, "next_max_id": rows[-1][0] if len(rows) == cursor.limit else None}
    if request.headers.get("HX-Request") == "true" and cursor.max_id:
        return render(request, "web/_post_page.html", context)
    return render(request, "web/bookmarks.html", context)
