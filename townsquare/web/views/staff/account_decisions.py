"""Staff: a moderator's decision about accounts without a case (warn, limit, freeze,
suspend), on one account from its staff page or on the accounts chosen in the members list
(`moderation.account_decisions`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.moderation import account_decisions, decisions
from townsquare.web.decision_forms import AccountActForm
from townsquare.web.views.common import parse_id, permission_required

PERMISSION = "moderate_content"


def _back(request: HttpRequest) -> str:
    """The staff page the form was on (`next`), or the members list."""
    target = request.POST.get("next", "")
    if target.startswith("/admin/") and url_has_allowed_host_and_scheme(target, None):
        return target
    return "/admin/members"


@require_POST
@permission_required(PERMISSION)
def act(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    ids = [pk for raw in request.POST.getlist("account") if (pk := parse_id(raw)) is not None]
    form = AccountActForm(request.POST, prefix="act")
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        text = f"{label}: {errors[0]}" if label else str(errors[0])
        messages.error(request, _("Nothing was done: %(error)s") % {"error": text})
    else:
        try:
            done = account_decisions.act_on_accounts(request.user, ids, **form.decision())
            messages.success(
                request,
                ngettext(
                    "%(count)d account decided; each was sent its statement of reasons.",
                    "%(count)d accounts decided; each was sent its statement of reasons.",
                    done,
                )
                % {"count": done},
            )
        except ValidationError as exc:
            messages.error(request, _("Nothing was done: %(error)s") % {"error": exc.messages[0]})
        except PermissionDenied as exc:
            messages.error(request, _("Nothing was done: %(error)s") % {"error": str(exc)})
    return redirect(_back(request))


@require_POST
@permission_required(PERMISSION)
def lift(request: HttpRequest) -> HttpResponse:
    """Lift an action from the member's staff page (the case page has its own Lift)."""
    assert isinstance(request.user, User)
    enforcement_id = parse_id(request.POST.get("enforcement", ""))
    try:
        if enforcement_id is None:
            raise ValidationError(_("That action does not exist."))
        decisions.lift(request.user, enforcement_id)
        messages.success(request, _("The action was lifted."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect(_back(request))
