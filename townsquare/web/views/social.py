"""Profiles, followers and following lists, follow / unfollow, follow requests, blocks and
mutes, featured members and private notes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts.models import User
from townsquare.accounts.queries import active_member, listed_people
from townsquare.communities import queries as group_queries
from townsquare.core.pagination import parse_cursor
from townsquare.core.ratelimit import RateLimited
from townsquare.events import queries as event_queries
from townsquare.graph import actions, queries
from townsquare.posts import queries as post_queries
from townsquare.posts.display import pinned_posts
from townsquare.site import features
from townsquare.web.forms import MuteForm, NoteForm, PostForm
from townsquare.web.views import enforcement as enforcement_views
from townsquare.web.views.common import feature_required, safe_next


def _member_or_404(username: str) -> User:
    """The active account with that name; a page only while pages are switched on."""
    member = active_member(username)
    if member is None or (member.is_page and not features.enabled("pages")):
        raise Http404("No member with that name.")
    return member


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    member = _member_or_404(username)
    if member.username != username:
        return redirect("profile", member.username, permanent=True)
    if member.is_suspended:
        return enforcement_views.suspended_profile(request, member)
    cursor = parse_cursor(request.GET)
    with_replies = request.GET.get("with_replies") == "1"
    posts = post_queries.profile_posts(
        request.user, member, max_id=cursor.max_id, limit=cursor.limit, with_replies=with_replies
    )
    pinned = [] if cursor.max_id or with_replies else pinned_posts(request.user, member)
    pinned_ids = frozenset(post.id for post in pinned)
    context = {
        "member": member,
        "posts": [*pinned, *(post for post in posts if post.id not in pinned_ids)],
        "pinned_ids": pinned_ids,
        "with_replies": with_replies,
        "mute_form": MuteForm(),
        "next_max_id": posts[-1].pk if len(posts) == cursor.limit else None,
        "relationship": queries.relationship(request.user, member),  # type: ignore[arg-type]
        "counts": queries.counts(member, friends=features.enabled("friends_mode")),
        "featured": queries.featured_by(member, request.user),
        "is_self": request.user.is_authenticated and request.user.pk == member.pk,
        **_page_extras(request, member),
    }
    if request.headers.get("HX-Request") == "true" and cursor.max_id:
        return render(request, "web/_post_page.html", context)
    return render(request, "web/profile.html", context)


def _page_extras(request: HttpRequest, member: User) -> dict[str, object]:
    """On a page's profile: the viewer's role on its team, the composer that posts as it
    (for the team), and its upcoming events."""
    if not member.is_page:
        return {"page_role": None}
    role = group_queries.page_role(request.user, member)
    events = (
        event_queries.upcoming_for_host(request.user, member) if features.enabled("events") else []
    )
    return {
        "page_role": role,
        "acting_ids": frozenset({member.pk}) if role is not None else frozenset(),
        "page_form": PostForm(initial={"as_account": member.pk}) if role is not None else None,
        "upcoming_events": events,
    }


def _people(
    request: HttpRequest, username: str, *, followers: bool, friends: bool = False
) -> HttpResponse:
    member = _member_or_404(username)
    kind = "friends" if friends else "followers" if followers else "following"
    title = {"friends": _("Friends"), "followers": _("Followers"), "following": _("Following")}[
        kind
    ]
    page_title = {
        "friends": _("Friends of %(name)s"),
        "followers": _("Followers of %(name)s"),
        "following": _("Followed by %(name)s"),
    }[kind] % {"name": member.name}
    named = {"title": title, "page_title": page_title, "kind": kind}
    shown = queries.friends_shown_to if friends else queries.connections_shown_to
    if not shown(request.user, member):
        context = {"member": member, "people": [], "hidden": True, **named}
        return render(request, "web/people.html", context)
    cursor = parse_cursor(request.GET, default_limit=40, max_limit=80)
    if friends:
        follows = queries.friends_of(member)
    else:
        follows = queries.followers_of(member) if followers else queries.following_of(member)
    person = "follower__" if followers and not friends else "followee__"
    follows = follows.filter(listed_people(request.user, person))
    if cursor.max_id:
        follows = follows.filter(id__lt=cursor.max_id)
    rows = list(follows[: cursor.limit])
    people = [row.follower if followers and not friends else row.followee for row in rows]
    context = {
        "member": member,
        "people": people,
        **named,
        "next_max_id": rows[-1].pk if len(rows) == cursor.limit else None,
    }
    return render(request, "web/people.html", context)


@require_GET
def followers(request: HttpRequest, username: str) -> HttpResponse:
    return _people(request, username, followers=True)


@require_GET
def following(request: HttpRequest, username: str) -> HttpResponse:
    return _people(request, username, followers=False)


@feature_required("friends_mode")
@require_GET
def friends(request: HttpRequest, username: str) -> HttpResponse:
    return _people(request, username, followers=False, friends=True)


@login_required
@require_POST
def follow(request: HttpRequest, username: str) -> HttpResponse:
    assert isinstance(request.user, User)
    member = _member_or_404(username)
    try:
        outcome = actions.follow(request.user, member)
    except (ValidationError, RateLimited) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
    else:
        friends = features.enabled("friends_mode")
        if outcome == actions.REQUESTED:
            messages.info(
                request,
                (
                    _("Friend request sent to %(name)s.")
                    if friends
                    else _("Asked to follow %(name)s; they approve followers.")
                )
                % {"name": member.name},
            )
        else:
            messages.success(
                request,
                (
                    _("You and %(name)s are friends now.")
                    if friends
                    else _("You follow %(name)s now.")
                )
                % {"name": member.name},
            )
    return redirect(safe_next(request, f"/@{member.username}"))


@login_required
@require_POST
def unfollow(request: HttpRequest, username: str) -> HttpResponse:
    assert isinstance(request.user, User)
    member = _member_or_404(username)
    try:
        actions.unfollow(request.user, member)
    except RateLimited as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("You no longer follow %(name)s.") % {"name": member.name})
    return redirect(safe_next(request, f"/@{member.username}"))


@login_required
@require_GET
def follow_requests(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    pending = list(queries.pending_requests(request.user)[:200])
    context = {"requests": pending, "friends_mode": features.enabled("friends_mode")}
    return render(request, "web/follow_requests.html", context)


@login_required
@require_POST
def answer_follow_request(request: HttpRequest, request_id: int, answer: str) -> HttpResponse:
    assert isinstance(request.user, User)
    try:
        friends = features.enabled("friends_mode")
        if answer == "approve":
            actions.approve_request(request.user, request_id)
            messages.success(
                request,
                _("You are friends now.") if friends else _("Approved: they follow you now."),
            )
        else:  # the URL admits only "approve" and "reject"
            actions.reject_request(request.user, request_id)
            messages.success(request, _("Request declined."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("follow_requests")


@login_required
@require_POST
def remove_follower(request: HttpRequest, username: str) -> HttpResponse:
    assert isinstance(request.user, User)
    member = _member_or_404(username)
    actions.remove_follower(request.user, member)
    messages.success(request, _("%(name)s no longer follows you.") % {"name": member.name})
    return redirect(safe_next(request, f"/@{request.user.username}/followers"))


def _relation_change(
    request: HttpRequest, username: str, change: Callable[[User, User], object], done: str
) -> HttpResponse:
    assert isinstance(request.user, User)
    member = _member_or_404(username)
    try:
        change(request.user, member)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except RateLimited as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done % {"name": member.name})
    return redirect(safe_next(request, f"/@{member.username}"))


@login_required
@require_POST
def block(request: HttpRequest, username: str) -> HttpResponse:
    return _relation_change(
        request,
        username,
        actions.block,
        _(
            "You blocked %(name)s: neither of you sees the other's posts, and follows between "
            "you ended."
        ),
    )


@login_required
@require_POST
def unblock(request: HttpRequest, username: str) -> HttpResponse:
    return _relation_change(request, username, actions.unblock, _("You unblocked %(name)s."))


@login_required
@require_POST
def mute(request: HttpRequest, username: str) -> HttpResponse:
    form = MuteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how long to mute for."))
        return redirect(safe_next(request, f"/@{username}"))
    seconds = form.cleaned_data["duration"]
    duration = timedelta(seconds=int(seconds)) if seconds else None
    notifications = form.cleaned_data["notifications"]

    def change(muter: User, muted: User) -> object:
        return actions.mute(muter, muted, notifications=notifications, duration=duration)

    return _relation_change(
        request, username, change, _("You muted %(name)s: their posts are hidden from you.")
    )


@login_required
@require_POST
def unmute(request: HttpRequest, username: str) -> HttpResponse:
    return _relation_change(request, username, actions.unmute, _("You unmuted %(name)s."))


@login_required
@require_GET
def blocks_and_mutes(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    context = {
        "blocked": [row.blocked for row in queries.blocked_list(request.user)[:500]],
        "muted": list(queries.muted_list(request.user)[:500]),
    }
    return render(request, "web/settings/blocks.html", context)


@login_required
@require_POST
def feature(request: HttpRequest, username: str) -> HttpResponse:
    return _relation_change(
        request, username, actions.endorse, _("%(name)s is featured on your profile now.")
    )


@login_required
@require_POST
def unfeature(request: HttpRequest, username: str) -> HttpResponse:
    return _relation_change(
        request, username, actions.unendorse, _("%(name)s is no longer featured on your profile.")
    )


@login_required
@require_POST
def note(request: HttpRequest, username: str) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():  # say so, and keep the note as it was
        messages.error(request, str(form.errors["comment"][0]))
        return redirect(safe_next(request, f"/@{username}"))
    comment = form.cleaned_data["comment"].replace("\r\n", "\n")

    def change(author: User, target: User) -> None:
        actions.set_note(author, target, comment)

    done = _("Note saved: only you see it.") if comment.strip() else _("Note removed.")
    return _relation_change(request, username, change, done)
