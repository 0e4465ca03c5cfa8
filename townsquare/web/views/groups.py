"""Group pages: the directory, creating a group, a group's page (its posts and composer),
its members and requests, and the forms that join, leave, invite and answer requests. Every
page works without JavaScript; the whole area is a 404 while the operator has switched
groups off."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.accounts.models import User
from townsquare.accounts.queries import active_member
from townsquare.communities import actions, queries
from townsquare.communities.models import Group, MembershipState, Role
from townsquare.core.pagination import parse_cursor
from townsquare.core.ratelimit import RateLimited
from townsquare.events import queries as event_queries
from townsquare.posts import queries as post_queries
from townsquare.posts.visibility import held_count
from townsquare.site import features
from townsquare.web.forms import PostForm
from townsquare.web.group_forms import GroupForm, InviteForm, MuteForm
from townsquare.web.views import enforcement as enforcement_views
from townsquare.web.views.common import apply_errors, feature_required, parse_id

FEATURE = "groups"


@feature_required(FEATURE)
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    mine = queries.groups_of(request.user) if isinstance(request.user, User) else []
    context = {"groups": queries.directory(request.user), "mine": mine}
    return render(request, "web/groups/directory.html", context)


@feature_required(FEATURE)
@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    if request.method != "POST":
        return render(request, "web/groups/new.html", {"form": GroupForm()})
    form = GroupForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            group = actions.create_group(request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("%(name)s is ready. Invite people to join.") % {"name": group.name}
            )
            return redirect("group", group.handle)
    return render(request, "web/groups/new.html", {"form": form}, status=400)


@feature_required(FEATURE)
@require_GET
def group_page(request: HttpRequest, handle: str) -> HttpResponse:
    group = queries.group_by_handle(request.user, handle)
    if group.handle != handle:
        return redirect("group", group.handle, permanent=True)
    if (gone := enforcement_views.suspended_group(request, group)) is not None:
        return gone
    place = queries.membership(request.user, group)
    readable = queries.can_see_posts(request.user, group)
    cursor = parse_cursor(request.GET)
    posts = (
        post_queries.group_posts(request.user, group.pk, max_id=cursor.max_id, limit=cursor.limit)
        if readable
        else []
    )
    member = place is not None and place.state == MembershipState.MEMBER
    pinned = (
        post_queries.group_pinned(request.user, group.pk) if readable and not cursor.max_id else []
    )
    events_on = features.enabled("events")
    context = {
        "upcoming_events": (
            event_queries.upcoming_for_group(request.user, group) if events_on and readable else []
        ),
        "events_on": events_on,
        "pinned_posts": pinned,
        "group_pinned_ids": frozenset(p.pk for p in pinned),
        "held_count": held_count(request.user, group.pk) if member else 0,
        "role": place.role if member and place is not None else -1,
        "roles": Role,
        "group": group,
        "place": place,
        "is_member": member,
        "readable": readable,
        "posts": posts,
        "member_count": queries.member_count(group),
        "form": PostForm(initial={"group": group.pk}) if member else None,
        "next_max_id": posts[-1].pk if len(posts) == cursor.limit else None,
        "states": MembershipState,
        "privacy_name": {0: _("Public group"), 1: _("Private group"), 2: _("Secret group")}[
            group.privacy
        ],
    }
    return render(request, "web/groups/group.html", context)


@feature_required(FEATURE)
@require_GET
def members(request: HttpRequest, handle: str) -> HttpResponse:
    group = queries.group_by_handle(request.user, handle)
    if (gone := enforcement_views.suspended_group(request, group)) is not None:
        return gone
    readable = queries.can_see_posts(request.user, group)
    manager = queries.can_manage(request.user, group)
    context = {
        "group": group,
        "readable": readable,
        "members": queries.members(group) if readable else [],
        "waiting": queries.waiting(group) if manager else [],
        "banned": queries.banned(group) if manager else [],
        "my_role": place.role if (place := queries.membership(request.user, group)) else -1,
        "manager": manager,
        "is_member": queries.is_member(request.user, group),
        "invite_form": InviteForm(),
        "mute_form": MuteForm(),
        "now": timezone.now(),
    }
    return render(request, "web/groups/members.html", context)


def _change(
    request: HttpRequest, handle: str, change: Callable[[User, Group], object], done: str
) -> HttpResponse:
    assert isinstance(request.user, User)
    group = queries.group_by_handle(request.user, handle)
    try:
        outcome = change(request.user, group)
    except (ValidationError, PermissionDenied) as exc:
        text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text or _("You can't do that in this group."))
    except RateLimited as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            done if outcome != actions.REQUESTED else _("Asked to join: a moderator will answer."),
        )
    return redirect("group", group.handle)


@feature_required(FEATURE)
@login_required
@require_POST
def join(request: HttpRequest, handle: str) -> HttpResponse:
    return _change(request, handle, actions.join, _("Welcome to the group!"))


@feature_required(FEATURE)
@login_required
@require_POST
def leave(request: HttpRequest, handle: str) -> HttpResponse:
    return _change(request, handle, actions.leave, _("Done: you are no longer in the group."))


@feature_required(FEATURE)
@login_required
@require_POST
def invite(request: HttpRequest, handle: str) -> HttpResponse:
    form = InviteForm(request.POST)
    invitee = active_member(form.data.get("username", "").strip().lstrip("@"))
    if invitee is None:
        messages.error(request, _("No member has that name."))
        return redirect("group_members", handle)

    def change(member: User, group: Group) -> None:
        actions.invite(member, group, invitee)

    return _change(request, handle, change, _("Invited %(name)s.") % {"name": invitee.name})


@feature_required(FEATURE)
@login_required
@require_POST
def answer(request: HttpRequest, handle: str) -> HttpResponse:
    member_id = parse_id(request.POST.get("member"))
    accept = request.POST.get("answer") == "accept"
    if member_id is None:
        messages.error(request, _("Choose a request to answer."))
        return redirect("group_members", handle)

    def change(manager: User, group: Group) -> None:
        actions.answer_request(manager, group, member_id, accept=accept)

    _change(request, handle, change, _("Let in.") if accept else _("Request declined."))
    return redirect("group_members", handle)


@feature_required(FEATURE)
@login_required
@require_POST
def ban(request: HttpRequest, handle: str) -> HttpResponse:
    member_id = parse_id(request.POST.get("member"))
    lift = request.POST.get("lift") == "1"
    if member_id is None:
        messages.error(request, _("Choose whom to ban."))
        return redirect("group_members", handle)

    def change(manager: User, group: Group) -> None:
        if lift:
            actions.unban(manager, group, member_id)
        else:
            actions.ban(manager, group, member_id)

    _change(request, handle, change, _("Ban lifted.") if lift else _("Banned from the group."))
    return redirect("group_members", handle)
