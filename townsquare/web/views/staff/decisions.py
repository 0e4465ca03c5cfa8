"""Staff: acting on a case (the case page's "Act" form, and the same decision on many cases
from the queue), lifting an action, the strike ladder (`/admin/moderation/ladder`) and the
export of statements of reasons in the DSA Transparency Database's JSON format."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.accounts.models import User
from townsquare.communities.models import Group
from townsquare.moderation import decisions, group_enforcement, statements, strikes
from townsquare.moderation.enforcement import in_force
from townsquare.moderation.models import Case, StepAction, TargetKind
from townsquare.web.decision_forms import ActForm, ExportForm, LadderForm, StepForm
from townsquare.web.views.common import apply_errors, parse_id, permission_required
from townsquare.web.views.staff import moderation

PERMISSION = "moderate_content"
EXTRA_STEPS = 3


def case_extras(case: Case) -> dict[str, Any]:
    """What the case page shows of decisions: the Act form, the account's strikes and the
    actions in force (with Lift)."""
    account_id = case.account_id
    if case.kind == TargetKind.GROUP:  # the group's own restrictions; no strikes
        group = Group.objects.filter(pk=case.target_id).first()
        return {
            "act_form": ActForm(for_group=True),
            "group_case": True,
            "strikes": [],
            "strike_total": 0,
            "in_force": group_enforcement.in_force(group) if group is not None else [],
            "case_statements": list(case.statements.order_by("application_date")),
        }
    return {
        "act_form": ActForm(),
        "strikes": strikes.active_strikes(account_id) if account_id else [],
        "strike_total": strikes.active_points(account_id) if account_id else 0,
        "in_force": in_force(case.account) if case.account is not None else [],
        "case_statements": list(case.statements.order_by("application_date")),
    }


def _case_with_form(request: HttpRequest, case: Case, form: ActForm, status: int) -> HttpResponse:
    context = moderation._case_context(request, case)
    context["act_form"] = form
    return render(request, "web/staff/case.html", context, status=status)


@require_POST
@permission_required(PERMISSION)
def act(request: HttpRequest, case_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    case = moderation._case(case_id)
    form = ActForm(request.POST, for_group=case.kind == TargetKind.GROUP)
    if not form.is_valid():
        return _case_with_form(request, case, form, 400)
    try:
        statement = decisions.act_on_case(request.user, case.pk, **form.decision())
    except ValidationError as exc:
        apply_errors(form, exc)
        return _case_with_form(request, case, form, 400)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _case_with_form(request, case, form, 403)
    messages.success(
        request,
        _("Decided: %(action)s. The member was sent the statement of reasons.")
        % {"action": statement.decision_label},
    )
    return redirect("staff_case", case_id=case.pk)


@require_POST
@permission_required(PERMISSION)
def bulk_act(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    ids = [pk for raw in request.POST.getlist("case") if (pk := parse_id(raw)) is not None]
    form = ActForm(request.POST, prefix="act")
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        messages.error(request, str(first))
    else:
        try:
            done = decisions.bulk_act(request.user, ids, **form.decision())
            messages.success(
                request,
                ngettext("%(count)d case decided.", "%(count)d cases decided.", done)
                % {"count": done},
            )
        except (ValidationError, PermissionDenied) as exc:
            text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, _("Nothing was done: %(error)s") % {"error": text})
    target = request.POST.get("next", "")
    if not target.startswith("/admin/moderation"):
        target = reverse("staff_moderation")
    return redirect(target)


@require_POST
@permission_required(PERMISSION)
def lift(request: HttpRequest, case_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    case = moderation._case(case_id)
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
    return redirect("staff_case", case_id=case.pk)


StepFormSet = forms.formset_factory(StepForm, extra=0, max_num=strikes.MAX_STEPS + EXTRA_STEPS)


def _ladder_forms(data: Any = None) -> tuple[LadderForm, Any]:
    steps = strikes.ladder()
    initial = [
        {"strikes": s.strikes, "action": s.action, "duration_days": s.duration_days} for s in steps
    ]
    initial += [{} for _n in range(EXTRA_STEPS)]
    return (
        LadderForm(data, initial={"expiry_days": strikes.expiry_days()}),
        # Bound, without initial values: an unchanged row would be read as empty.
        StepFormSet(data, prefix="step")
        if data is not None
        else StepFormSet(initial=initial, prefix="step"),
    )


@require_http_methods(["GET", "POST"])
@permission_required("manage_settings")
def ladder(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form, steps = _ladder_forms(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and steps.is_valid():
            wanted = []
            for data in steps.cleaned_data:
                if not data.get("action") and not data.get("strikes"):
                    continue  # an empty row
                if not data.get("action") or not data.get("strikes"):
                    form.add_error(None, _("Give each step its number of strikes and action."))
                    break
                wanted.append(
                    strikes.StepInput(data["strikes"], data["action"], data.get("duration_days"))
                )
            if not form.errors:
                try:
                    strikes.save_ladder(request.user, wanted, form.cleaned_data["expiry_days"])
                    messages.success(request, _("The strike ladder was saved."))
                    return redirect("staff_ladder")
                except ValidationError as exc:
                    apply_errors(form, exc)
        status = 400
    context = {"form": form, "steps": steps, "warn": StepAction.WARN}
    return render(request, "web/staff/moderation/ladder.html", context, status=status)


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not (user.can("view_audit_log") or user.can("moderate_content")):
        raise PermissionDenied(_("Only staff with that permission can open this page."))
    form = ExportForm(request.GET)
    if not form.is_valid():
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return HttpResponse(
            json.dumps({"error": _("Those dates are not valid."), "fields": errors}),
            status=400,
            content_type="application/json",
        )
    rows = statements.export(form.cleaned_data["start"], form.cleaned_data["end"])
    response = HttpResponse(
        json.dumps({"statements": rows}, ensure_ascii=False, indent=1),
        content_type="application/json",
    )
    response["Content-Disposition"] = 'attachment; filename="statements.json"'
    return response
