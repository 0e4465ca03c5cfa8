"""Staff: the members list (search, filters) and one member's page, with the actions staff
take on them (role, verified badge, password reset, email confirmation, login, deletion)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts import staff_actions, staff_queries, two_factor
from townsquare.accounts.models import User
from townsquare.core.pagination import parse_cursor
from townsquare.core.ratelimit import RateLimited
from townsquare.moderation.enforcement import in_force
from townsquare.posts import queries as post_queries
from townsquare.web.decision_forms import AccountActForm
from townsquare.web.staff_forms import ROLE_LABELS, MemberFilterForm, MemberRoleForm
from townsquare.web.views.common import to_two_factor_setup

RECENT_POSTS = 10


def members_staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages for staff who manage members or roles (the verified badge), and for moderators
    (who find accounts here and decide about them): visitors go to the login page, anyone
    else gets a 403. Each action on these pages checks its own permission."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not any(user.can(name) for name in ("manage_users", "manage_roles", "moderate_content")):
            raise PermissionDenied(_("Only staff with that permission can open this page."))
        if two_factor.required_but_missing(user):  # the operator requires it of staff
            return to_two_factor_setup(request)
        return view(request, *args, **kwargs)

    return guarded


@require_GET
@members_staff
def members(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    roles = staff_queries.custom_roles()
    form = MemberFilterForm(request.GET or None, roles=roles)
    cursor = parse_cursor(request.GET, default_limit=staff_queries.PAGE_SIZE, max_limit=100)
    by_email = actor.can("manage_users")  # addresses are for staff who manage members
    found = staff_queries.find_members(
        form.filters(), max_id=cursor.max_id, limit=cursor.limit, by_email=by_email
    )
    query = request.GET.copy()
    query.pop("max_id", None)
    if found and len(found) == cursor.limit:
        query["max_id"] = str(found[-1].pk)
        next_page = f"?{query.urlencode()}"
    else:
        next_page = ""
    context = {
        "form": form,
        "rows": [
            {"person": person, "role": ROLE_LABELS.get(person.role, person.role)}
            for person in found
        ],
        "next_page": next_page,
        "show_email": by_email,
        "act_form": AccountActForm(prefix="act") if actor.can("moderate_content") else None,
    }
    return render(request, "web/staff/members.html", context)


def _member_or_404(username: str) -> User:
    """Any account with that name, whatever its state (staff see deactivated ones too)."""
    member = User.objects.select_related("staff_role").filter(username__iexact=username).first()
    if member is None:
        raise Http404(_("No member with that name."))
    return member


@require_GET
@members_staff
def member(request: HttpRequest, username: str) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    shown = _member_or_404(username)
    if shown.username != username:
        return redirect("staff_member", shown.username)
    roles = staff_queries.custom_roles()
    role_form = MemberRoleForm(
        initial={"role": shown.role, "staff_role": shown.staff_role_id or ""}, roles=roles
    )
    itself = shown.pk == actor.pk
    in_reach = itself or staff_actions.may_act_on(actor, shown)
    context = {
        "member": shown,
        "summary": staff_queries.member_summary(shown),
        "posts": post_queries.profile_posts(actor, shown, limit=RECENT_POSTS, with_replies=True),
        "role_form": role_form,
        "role_label": ROLE_LABELS.get(shown.role, shown.role),
        "itself": itself,
        "in_reach": in_reach,
        "manages_users": actor.can("manage_users") and in_reach,
        "manages_roles": actor.can("manage_roles") and in_reach,
        "show_email": actor.can("manage_users"),
        "act_form": (
            AccountActForm(prefix="act")
            if actor.can("moderate_content") and not itself and in_reach
            else None
        ),
        "in_force": in_force(shown),
    }
    return render(request, "web/staff/member.html", context)


def _set_role(request: HttpRequest, actor: User, shown: User) -> str:
    form = MemberRoleForm(request.POST, roles=staff_queries.custom_roles())
    if not form.is_valid():
        raise ValidationError([message for errors in form.errors.values() for message in errors])
    staff_actions.set_member_role(
        actor, shown, form.cleaned_data["role"], form.cleaned_data["staff_role"]
    )
    return _("@%(name)s's role was changed.") % {"name": shown.username}


def _verify(request: HttpRequest, actor: User, shown: User) -> str:
    staff_actions.set_verified(actor, shown, True)
    return _("@%(name)s now shows the verified badge.") % {"name": shown.username}


def _unverify(request: HttpRequest, actor: User, shown: User) -> str:
    staff_actions.set_verified(actor, shown, False)
    return _("@%(name)s no longer shows the verified badge.") % {"name": shown.username}


def _reset_password(request: HttpRequest, actor: User, shown: User) -> str:
    staff_actions.send_password_reset(actor, shown)
    return _("A link to choose a new password was emailed to @%(name)s.") % {"name": shown.username}


def _require_confirmation(request: HttpRequest, actor: User, shown: User) -> str:
    staff_actions.require_email_confirmation(actor, shown)
    return _(
        "@%(name)s was signed out and can log in again after opening the link just emailed."
    ) % {"name": shown.username}


def _disable(request: HttpRequest, actor: User, shown: User) -> str:
    staff_actions.disable_login(actor, shown)
    return _("@%(name)s can no longer log in, and was signed out everywhere.") % {
        "name": shown.username
    }


def _enable(request: HttpRequest, actor: User, shown: User) -> str:
    staff_actions.enable_login(actor, shown)
    return _("@%(name)s can log in again.") % {"name": shown.username}


def _delete(request: HttpRequest, actor: User, shown: User) -> str:
    typed = (request.POST.get("confirm") or "").strip().removeprefix("@")
    if typed.lower() != shown.username.lower():
        raise ValidationError(_("Type the username to confirm the deletion."))
    staff_actions.delete_member(actor, shown)
    return _("@%(name)s is being deleted.") % {"name": shown.username}


ACTIONS: dict[str, Callable[[HttpRequest, User, User], str]] = {
    "role": _set_role,
    "verify": _verify,
    "unverify": _unverify,
    "reset-password": _reset_password,
    "require-confirmation": _require_confirmation,
    "disable": _disable,
    "enable": _enable,
    "delete": _delete,
}


@require_POST
@members_staff
def member_action(request: HttpRequest, username: str, action: str) -> HttpResponse:
    """One of ACTIONS on the member; a refusal for want of permission or rank is a 403, a
    problem with the request a message on the member's page."""
    act = ACTIONS.get(action)
    if act is None:
        raise Http404(_("There is no such action."))
    actor: User = request.user  # type: ignore[assignment]
    shown = _member_or_404(username)
    try:
        done = act(request, actor, shown)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except RateLimited as exc:
        messages.error(
            request,
            ngettext(
                "Too many changes; try again in %(seconds)d second.",
                "Too many changes; try again in %(seconds)d seconds.",
                exc.retry_after,
            )
            % {"seconds": exc.retry_after},
        )
    else:
        messages.success(request, done)
        if action == "delete":
            return redirect("staff_members")
    return redirect("staff_member", shown.username)
