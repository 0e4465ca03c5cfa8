"""Staff: the built-in roles and the custom roles built from named permissions."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.accounts import staff_actions, staff_queries
from townsquare.accounts.models import Role, StaffRole, User
from townsquare.accounts.permissions import PERMISSIONS
from townsquare.core.ratelimit import RateLimited
from townsquare.web.staff_forms import ROLE_LABELS, RoleForm
from townsquare.web.views.common import apply_errors, permission_required


def _described(names: Iterable[str]) -> list[tuple[str, str]]:
    """The permissions among `names` with their descriptions, in the usual order."""
    chosen = set(names)
    return [(name, str(text)) for name, text in PERMISSIONS.items() if name in chosen]


def _save(request: HttpRequest, form: RoleForm, role: StaffRole | None) -> int:
    """Create or update the role from the bound form: the status of the page to show (200
    saved, 400 bad input, 403 a permission the actor may not grant)."""
    actor: User = request.user  # type: ignore[assignment]
    if not form.is_valid():
        return 400
    data = form.cleaned_data
    try:
        if role is None:
            saved = staff_actions.create_role(actor, data["name"], data["permissions"])
        else:
            saved = staff_actions.update_role(actor, role.pk, data["name"], data["permissions"])
    except ValidationError as exc:
        apply_errors(form, exc)
        return 400
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return 403
    except RateLimited as exc:
        form.add_error(None, str(exc))
        return 429
    messages.success(request, _("The role %(name)s was saved.") % {"name": saved.name})
    return 200


@require_http_methods(["GET", "POST"])
@permission_required("manage_roles")
def roles(request: HttpRequest) -> HttpResponse:
    """The roles, and the form that creates a custom role."""
    form = RoleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = _save(request, form, None)
        if status == 200:
            return redirect("staff_roles")
    holders = staff_queries.role_holders()
    moderators = staff_actions.permissions_of(Role.MODERATOR, None)
    built_in = [
        (ROLE_LABELS[Role.ADMIN], _("Everything."), _described(PERMISSIONS)),
        (ROLE_LABELS[Role.MODERATOR], "", _described(moderators)),
        (ROLE_LABELS[Role.MEMBER], _("No staff permissions."), []),
    ]
    custom = [
        (role, _described(role.permissions), holders.get(role.pk, 0))
        for role in staff_queries.custom_roles()
    ]
    context = {"form": form, "built_in": built_in, "custom": custom}
    return render(request, "web/staff/roles.html", context, status=status)


def _role_or_404(role_id: int) -> StaffRole:
    role = StaffRole.objects.filter(pk=role_id).first()
    if role is None:
        raise Http404(_("There is no such role."))
    return role


@require_http_methods(["GET", "POST"])
@permission_required("manage_roles")
def edit_role(request: HttpRequest, role_id: int) -> HttpResponse:
    role = _role_or_404(role_id)
    initial = {"name": role.name, "permissions": role.permissions}
    form = RoleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = _save(request, form, role)
        if status == 200:
            return redirect("staff_roles")
    context = {"form": form, "role": role}
    return render(request, "web/staff/role_edit.html", context, status=status)


@require_POST
@permission_required("manage_roles")
def delete_role(request: HttpRequest, role_id: int) -> HttpResponse:
    role = _role_or_404(role_id)
    try:
        staff_actions.delete_role(request.user, role.pk)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except RateLimited as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The role %(name)s was deleted.") % {"name": role.name})
    return redirect("staff_roles")
