"""A member's own reports and the decisions on them: `/reports` (newest first) and
`/reports/<id>` (one, with the decision once the case is closed), from where a reporter
appeals the decision (POST `/reports/<id>/appeal`): the statement when the moderators acted,
the case itself when they dismissed it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts.models import User
from townsquare.moderation import appeals
from townsquare.moderation.models import Appeal, AppealState, Report, Statement, TargetKind
from townsquare.web.views.appeals import AppealForm
from townsquare.web.views.common import apply_errors

PAGE_SIZE = 100


def _mine(request: HttpRequest, report_id: int) -> tuple[User, Report]:
    assert isinstance(request.user, User)
    found = (
        Report.objects.select_related("case", "target")
        .filter(pk=report_id, reporter=request.user)
        .first()
    )
    if found is None:
        raise Http404  # nobody learns about someone else's report
    return request.user, found


def what(report: Report) -> str:
    """What the report is about, in words: its kind and the account responsible."""
    kind = TargetKind(report.kind).label if report.kind in TargetKind.values else report.kind
    if report.target is None:
        return str(kind)
    return f"{kind} · @{report.target.username}"


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    found = list(
        Report.objects.select_related("case", "target")
        .filter(reporter=request.user)
        .order_by("-id")[:PAGE_SIZE]
    )
    rows = [{"report": report, "what": what(report)} for report in found]
    return render(request, "web/moderation/reports/list.html", {"rows": rows})


def _context(member: User, report: Report, form: AppealForm | None = None) -> dict[str, object]:
    decision = appeals.decision_of_case(report.case) if report.case is not None else None
    context: dict[str, object] = {
        "report": report,
        "what": what(report),
        "decision": decision,
        "decided_appeals": list(
            Appeal.objects.filter(
                Q(case_id=report.case_id) | Q(statement__case_id=report.case_id),
                appellant=member,
            )
            .exclude(state=AppealState.OPEN)
            .order_by("-created_at")
        )
        if report.case_id is not None
        else [],
    }
    if decision is not None:
        context.update(
            {
                "acted": isinstance(decision, Statement),
                "decided_at": appeals.decided_at(decision),
                "appeal_until": appeals.appeal_until(decision),
                "may_appeal": appeals.may_appeal(member, decision),
                "open_appeal": appeals.open_appeal_of(member, decision),
                "appeal_form": form or AppealForm(),
            }
        )
    return context


@login_required
@require_GET
def report_page(request: HttpRequest, report_id: int) -> HttpResponse:
    member, report = _mine(request, report_id)
    return render(request, "web/moderation/reports/detail.html", _context(member, report))


@login_required
@require_POST
def report_appeal(request: HttpRequest, report_id: int) -> HttpResponse:
    member, report = _mine(request, report_id)
    decision = appeals.decision_of_case(report.case) if report.case is not None else None
    if decision is None:
        raise Http404  # nothing decided yet: nothing to appeal
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            if isinstance(decision, Statement):
                appeals.appeal(member, decision.pk, form.cleaned_data["text"])
            else:
                appeals.appeal_dismissal(member, decision.pk, form.cleaned_data["text"])
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your appeal was sent to the moderators."))
            return redirect("my_report", report_id=report.pk)
    context = _context(member, report, form)
    return render(request, "web/moderation/reports/detail.html", context, status=400)
