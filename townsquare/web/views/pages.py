"""Pages on the web: the directory, creating a page, editing it (admins), and its team.
A page's profile, posts and followers are an account's (social.profile, with the composer
that posts as the page for its team). The whole area is a 404 while pages are switched off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.accounts.models import User
from townsquare.accounts.queries import active_member
from townsquare.communities import queries
from townsquare.communities.actions import pages as actions
from townsquare.communities.models import PageRoleKind
from townsquare.core.ratelimit import RateLimited
from townsquare.notifications.queries import notification_page
from townsquare.web.page_forms import CATEGORIES, PageEditForm, PageForm, TeamForm
from townsquare.web.views.common import apply_errors, feature_required, parse_id

FEATURE = "pages"


@feature_required(FEATURE)
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    context = {"pages": queries.page_directory(), "mine": queries.pages_run_by(request.user)}
    return render(request, "web/pages/directory.html", context)


@feature_required(FEATURE)
@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = PageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            page = actions.create_page(request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except (RateLimited, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("%(name)s is ready: post as it from its page.") % {"name": page.name}
            )
            return redirect("profile", page.username)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "categories": CATEGORIES}
    return render(request, "web/pages/new.html", context, status=status)


def _page_for_admin(request: HttpRequest, handle: str) -> User:
    page = queries.page_by_handle(handle)
    if queries.page_role(request.user, page) != PageRoleKind.ADMIN:
        raise PermissionDenied(_("Only the page's admins can do that."))
    return page


@feature_required(FEATURE)
@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, handle: str) -> HttpResponse:
    assert isinstance(request.user, User)
    page = _page_for_admin(request, handle)
    initial: dict[str, object] = {
        "name": page.display_name,
        "category": page.page_category,
        "description": page.bio,
    }
    for i, link in enumerate(page.fields or []):
        initial[f"link_{i}_name"] = link.get("name", "")
        initial[f"link_{i}_value"] = link.get("value", "")
    form = PageEditForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_page(
                request.user,
                page,
                name=data["name"],
                category=data["category"],
                description=data["description"],
                links=form.links(),
                avatar=data.get("avatar"),
                header=data.get("header"),
                remove_avatar=data["remove_avatar"],
                remove_header=data["remove_header"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The page is saved."))
            return redirect("profile", page.username)
    status = 400 if request.method == "POST" else 200
    context = {"page": page, "form": form, "categories": CATEGORIES}
    return render(request, "web/pages/edit.html", context, status=status)


@feature_required(FEATURE)
@login_required
@require_GET
def team(request: HttpRequest, handle: str) -> HttpResponse:
    page = queries.page_by_handle(handle)
    role = queries.page_role(request.user, page)
    if role is None:
        raise PermissionDenied(_("The team page is for the page's team."))
    context = {
        "page": page,
        # What happened to the page (new followers, replies, mentions): nobody logs in as the
        # page, so its team reads its notifications here.
        "activity": notification_page(page, limit=20),
        "team": queries.team(page),
        "is_admin": role == PageRoleKind.ADMIN,
        "form": TeamForm(),
        "roles": PageRoleKind,
    }
    return render(request, "web/pages/team.html", context)


@feature_required(FEATURE)
@login_required
@require_POST
def add(request: HttpRequest, handle: str) -> HttpResponse:
    assert isinstance(request.user, User)
    page = queries.page_by_handle(handle)
    form = TeamForm(request.POST)
    member = active_member(form.data.get("username", "").strip().lstrip("@"))
    try:
        if not form.is_valid() or member is None:
            raise ValidationError(_("Choose a member by their username, and a role."))
        actions.add_to_team(request.user, page, member, form.cleaned_data["role"])
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except (PermissionDenied, RateLimited) as exc:
        messages.error(request, str(exc) or _("Only the page's admins can do that."))
    else:
        assert member is not None
        messages.success(request, _("%(name)s is on the team.") % {"name": member.name})
    return redirect("page_team", page.username)


@feature_required(FEATURE)
@login_required
@require_POST
def remove(request: HttpRequest, handle: str) -> HttpResponse:
    assert isinstance(request.user, User)
    page = queries.page_by_handle(handle)
    member_id = parse_id(request.POST.get("member"))
    try:
        if member_id is None:
            raise ValidationError(_("Choose whom to remove."))
        actions.remove_from_team(request.user, page, member_id)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except (PermissionDenied, RateLimited) as exc:
        messages.error(request, str(exc) or _("Only the page's admins can do that."))
    else:
        if member_id == request.user.pk:
            messages.success(request, _("You left the team of %(name)s.") % {"name": page.name})
            return redirect("pages")
        messages.success(request, _("Removed from the team."))
    return redirect("page_team", page.username)
