"""Running a group from its pages: the settings page (with the cover), the queue of posts
waiting for approval, approving, pinning and removing posts, muting members, and deleting the
group. Every form works without JavaScript; the actions check who may."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.accounts.models import User
from townsquare.communities import actions, queries
from townsquare.communities.models import Group, Role
from townsquare.core.pagination import parse_cursor
from townsquare.core.ratelimit import RateLimited
from townsquare.posts import queries as post_queries
from townsquare.posts.models import Post
from townsquare.posts.visibility import reviewable
from townsquare.web.group_forms import DeleteGroupForm, GroupSettingsForm, MuteForm
from townsquare.web.views import enforcement as enforcement_views
from townsquare.web.views.common import apply_errors, feature_required, parse_id, safe_next

FEATURE = "groups"


def _role(user: object, group: Group) -> int:
    place = queries.membership(user if isinstance(user, User) else None, group)
    return place.role if place is not None and place.state == 0 else -1


@feature_required(FEATURE)
@login_required
@require_http_methods(["GET", "POST"])
def settings(request: HttpRequest, handle: str) -> HttpResponse:
    assert isinstance(request.user, User)
    group = queries.group_by_handle(request.user, handle)
    if (gone := enforcement_views.suspended_group(request, group)) is not None:
        return gone
    if _role(request.user, group) < Role.ADMIN:
        raise PermissionDenied(_("Only the group's admins can change its settings."))
    initial = {
        "name": group.name,
        "privacy": group.privacy,
        "description": group.description,
        "rules": group.rules,
        "approve_posts": group.approve_posts,
    }
    form = GroupSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.update_group(
                    request.user,
                    group,
                    name=data["name"],
                    description=data["description"],
                    rules=data["rules"],
                    privacy=data["privacy"],
                    approve_posts=data["approve_posts"],
                    cover=data.get("cover"),
                    remove_cover=data["remove_cover"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The group's settings are saved."))
                return redirect("group", group.handle)
    context = {"group": group, "form": form, "is_owner": _role(request.user, group) == Role.OWNER}
    return render(request, "web/groups/settings.html", context, status=status)


@feature_required(FEATURE)
@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, handle: str) -> HttpResponse:
    assert isinstance(request.user, User)
    group = queries.group_by_handle(request.user, handle)
    if (gone := enforcement_views.suspended_group(request, group)) is not None:
        return gone
    if _role(request.user, group) != Role.OWNER:
        raise PermissionDenied(_("Only the group's owner can delete it."))
    form = DeleteGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            removed = actions.delete_group(
                request.user, group, confirm_handle=form.cleaned_data["confirm"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "%(name)s is deleted, with its %(count)d post.",
                    "%(name)s is deleted, with its %(count)d posts.",
                    removed,
                )
                % {"name": group.name, "count": removed},
            )
            return redirect("groups")
    post_count = Post.objects.filter(group=group).count()
    context = {"group": group, "form": form, "post_count": post_count}
    return render(
        request, "web/groups/delete.html", context, status=400 if request.method == "POST" else 200
    )


@feature_required(FEATURE)
@login_required
@require_GET
def pending(request: HttpRequest, handle: str) -> HttpResponse:
    group = queries.group_by_handle(request.user, handle)
    if (gone := enforcement_views.suspended_group(request, group)) is not None:
        return gone
    if not queries.is_member(request.user, group):
        raise Http404("No such page.")
    cursor = parse_cursor(request.GET)
    posts = post_queries.held_posts(
        request.user, group.pk, max_id=cursor.max_id, limit=cursor.limit
    )
    context = {
        "group": group,
        "posts": posts,
        "manager": queries.can_manage(request.user, group),
        "next_max_id": posts[-1].pk if len(posts) == cursor.limit else None,
    }
    return render(request, "web/groups/pending.html", context)


def _back(request: HttpRequest, post: Post) -> HttpResponse:
    default = reverse("group", args=[post.group.handle]) if post.group is not None else "/"
    return redirect(safe_next(request, default))


def _group_post(request: HttpRequest, post_id: int) -> Post:
    post = post_queries.get_visible(request.user, post_id) or reviewable(request.user, post_id)
    if post is None or post.group_id is None:
        raise Http404("No such post in a group.")
    return post


def _on_post(
    request: HttpRequest, post_id: int, change: Callable[[User, Post], object], done: str
) -> HttpResponse:
    """A moderator's change to one group post, told back as a message on the page they came
    from (a refusal says why; a permission refusal is a 403 page)."""
    assert isinstance(request.user, User)
    post = _group_post(request, post_id)
    try:
        change(request.user, post)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except RateLimited as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(request, post)


@feature_required(FEATURE)
@login_required
@require_POST
def approve(request: HttpRequest, post_id: int) -> HttpResponse:
    return _on_post(
        request, post_id, actions.approve_post, _("Approved: the post is in the group now.")
    )


@feature_required(FEATURE)
@login_required
@require_POST
def pin(request: HttpRequest, post_id: int) -> HttpResponse:
    return _on_post(request, post_id, actions.pin_post, _("Pinned to the top of the group."))


@feature_required(FEATURE)
@login_required
@require_POST
def unpin(request: HttpRequest, post_id: int) -> HttpResponse:
    return _on_post(request, post_id, actions.unpin_post, _("Unpinned."))


@feature_required(FEATURE)
@login_required
@require_POST
def mute(request: HttpRequest, handle: str) -> HttpResponse:
    assert isinstance(request.user, User)
    group = queries.group_by_handle(request.user, handle)
    member_id = parse_id(request.POST.get("member"))
    form = MuteForm(request.POST)
    try:
        if member_id is None:
            raise ValidationError(_("Choose whom to mute."))
        if request.POST.get("lift") == "1":
            actions.unmute_member(request.user, group, member_id)
            messages.success(request, _("They can post in the group again."))
        elif not form.is_valid():
            raise ValidationError(_("Choose how long."))
        else:
            until = actions.mute_member(
                request.user, group, member_id, form.cleaned_data["duration"]
            )
            # Translators: a date in the form of Django's date filter (F: the month's name).
            pattern = pgettext("date format of a day and time this year", "j F, H:i")
            when = dateformat.format(timezone.localtime(until), pattern)
            messages.success(request, _("Muted in the group until %(when)s.") % {"when": when})
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except RateLimited as exc:
        messages.error(request, str(exc))
    return redirect("group_members", group.handle)


@feature_required(FEATURE)
@login_required
@require_POST
def role(request: HttpRequest, handle: str) -> HttpResponse:
    """Give a member a role, or (the owner) hand the group over to them."""
    assert isinstance(request.user, User)
    group = queries.group_by_handle(request.user, handle)
    member_id = parse_id(request.POST.get("member"))
    raw = request.POST.get("role", "")
    wanted = int(raw) if raw in {"0", "1", "2", "3"} else None
    try:
        if member_id is None or wanted is None:
            raise ValidationError(_("Choose a member and a role."))
        if wanted == Role.OWNER:
            actions.transfer_ownership(request.user, group, member_id)
            messages.success(request, _("The group is theirs now; you are an admin."))
        else:
            actions.set_role(request.user, group, member_id, wanted)
            messages.success(request, _("Role changed."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You can't change this member's role."))
    except RateLimited as exc:
        messages.error(request, str(exc))
    return redirect("group_members", group.handle)
