"""Staff: the moderation queue (`/admin/moderation`) and a case's page: the reported content in
context (sensitive media behind a click), the account's history, every report with its
reporter's comment, internal notes, assignment, and dismissing or resolving. Enforcement
(limit, freeze, suspend, remove) is added to the case page's "Act" part
(web/staff/moderation/_actions.html) by `moderation.enforcement`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts.models import User
from townsquare.moderation import cases, queries
from townsquare.moderation.models import Case, CaseState, ReportCategory, TargetKind
from townsquare.posts.models import Post
from townsquare.web.report_forms import DecisionForm, NoteForm, QueueFilterForm
from townsquare.web.views.common import apply_errors, parse_id, permission_required
from townsquare.web.views.staff.moderation_content import reported_content

PERMISSION = "moderate_content"
QUEUE_SIZE = 100
CASE_ACTIONS = (
    "assign",
    "note",
    "dismiss",
    "resolve",
    "confirm-match",
    "release-match",
    "release-post",
)


def _filters(form: QueueFilterForm) -> queries.QueueFilter:
    if not form.is_valid():
        return queries.QueueFilter()
    data = form.cleaned_data
    return queries.QueueFilter(
        state=data["state"] if "state" in form.data else CaseState.OPEN,
        category=data["category"],
        kind=data["kind"],
        assigned=data["assigned"],
    )


@require_GET
@permission_required(PERMISSION)
def queue(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = QueueFilterForm(request.GET or None)
    filters = _filters(form)
    if not form.is_bound:
        form = QueueFilterForm(initial={"state": CaseState.OPEN})
    found = list(queries.queue(request.user, filters)[: QUEUE_SIZE + 1])
    shown = found[:QUEUE_SIZE]
    categories = queries.case_categories([case.pk for case in shown])
    labels = dict(ReportCategory.choices)
    rows = [
        {"case": case, "categories": [labels.get(c, c) for c in categories.get(case.pk, [])]}
        for case in shown
    ]
    from townsquare.web.views.staff import decisions as decisions_views

    context = {
        "act_form": decisions_views.ActForm(prefix="act"),
        "form": form,
        "rows": rows,
        "more": len(found) > QUEUE_SIZE,
        "moderators": queries.moderators(),
        "next": request.get_full_path(),
    }
    return render(request, "web/staff/moderation.html", context)


def _assignee(request: HttpRequest) -> User | None:
    """The moderator named by the form's `assignee` ("me", a username, or "" for nobody)."""
    wanted = (request.POST.get("assignee") or "").strip()
    if not wanted:
        return None
    if wanted == "me":
        assert isinstance(request.user, User)
        return request.user
    found = User.objects.filter(username__iexact=wanted, is_active=True).first()
    if found is None:
        raise ValidationError(_("No moderator has that username."))
    return found


@require_POST
@permission_required(PERMISSION)
def bulk(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    ids = [pk for raw in request.POST.getlist("case") if (pk := parse_id(raw)) is not None]
    action = request.POST.get("action", "")
    try:
        if action == "dismiss":
            form = DecisionForm(request.POST)
            note = form.cleaned_data["note"] if form.is_valid() else ""
            done = cases.bulk_dismiss(request.user, ids, note)
            messages.success(
                request,
                ngettext("%(count)d case dismissed.", "%(count)d cases dismissed.", done)
                % {"count": done},
            )
        elif action == "assign":
            done = cases.bulk_assign(request.user, ids, _assignee(request))
            messages.success(
                request,
                ngettext("%(count)d case assigned.", "%(count)d cases assigned.", done)
                % {"count": done},
            )
        else:
            messages.error(request, _("Choose what to do with the cases."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    target = request.POST.get("next", "")
    if not target.startswith("/admin/moderation"):
        target = reverse("staff_moderation")
    return redirect(target)


def _case(case_id: int) -> Case:
    found = Case.objects.select_related("account", "assigned_to", "resolved_by").filter(pk=case_id)
    case = found.first()
    if case is None:
        raise Http404
    return case


def _case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    assert isinstance(request.user, User)
    reports = queries.case_reports(case)
    labels = dict(ReportCategory.choices)
    from townsquare.site.models import Rule

    rule_texts = {str(pk): text for pk, text in Rule.objects.values_list("pk", "text")}
    listed = [
        {
            "report": report,
            "category": labels.get(report.category, report.category),
            "rules": [rule_texts.get(str(r), str(r)) for r in report.rule_ids],
        }
        for report in reports
    ]
    post_ids = sorted({pk for report in reports for pk in report.post_ids})
    from townsquare.web.views.staff import decisions as decisions_views

    return {
        "case": case,
        "kind_label": dict(TargetKind.choices).get(case.kind, case.kind),
        "reports": listed,
        "content": reported_content(request, case, post_ids),
        "history": queries.history(case.account_id, besides=case.pk),
        "notes": list(case.notes.select_related("author")),
        "moderators": queries.moderators(),
        "note_form": NoteForm(),
        "decision_form": DecisionForm(),
        # A post a content rule holds back waits for a moderator to let it out.
        "held_post": case.kind == TargetKind.POST
        and Post.objects.filter(pk=case.target_id, held=True).exists(),
        **decisions_views.case_extras(case),
    }


@require_GET
@permission_required(PERMISSION)
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    return render(request, "web/staff/case.html", _case_context(request, _case(case_id)))


@require_POST
@permission_required(PERMISSION)
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    assert isinstance(request.user, User)
    if action not in CASE_ACTIONS:
        raise Http404
    case = _case(case_id)
    try:
        if action == "assign":
            cases.assign(request.user, case.pk, _assignee(request))
            messages.success(request, _("The case's assignment was saved."))
        elif action in ("confirm-match", "release-match"):
            from townsquare.moderation import match_cases

            if action == "confirm-match":
                match_cases.confirm(request.user, case.pk)
                messages.success(request, _("Match confirmed: the upload was deleted."))
            else:
                match_cases.release(request.user, case.pk)
                messages.success(request, _("Match released: the upload may be posted."))
        elif action == "release-post":
            from townsquare.moderation import rule_reports

            post = Post.objects.filter(pk=case.target_id, held=True).first()
            if case.kind != TargetKind.POST or post is None:
                raise ValidationError(_("That post is not waiting any more."))
            rule_reports.release_post(request.user, post)
            cases.resolve(request.user, case.pk, _("The held post was published."))
            messages.success(request, _("The post is published."))
        elif action == "note":
            form = NoteForm(request.POST)
            if not form.is_valid():
                context = _case_context(request, case)
                context["note_form"] = form
                return render(request, "web/staff/case.html", context, status=400)
            cases.add_note(request.user, case.pk, form.cleaned_data["text"])
            messages.success(request, _("Note added."))
        else:
            decision = DecisionForm(request.POST)
            if not decision.is_valid():
                context = _case_context(request, case)
                context["decision_form"] = decision
                return render(request, "web/staff/case.html", context, status=400)
            note = decision.cleaned_data["note"]
            if action == "dismiss":
                cases.dismiss(request.user, case.pk, note)
                messages.success(request, _("The case was dismissed."))
            else:
                cases.resolve(request.user, case.pk, note)
                messages.success(request, _("The case was resolved."))
    except ValidationError as exc:
        if action == "note":
            form = NoteForm(request.POST)
            form.is_valid()
            apply_errors(form, exc)
            context = _case_context(request, case)
            context["note_form"] = form
            return render(request, "web/staff/case.html", context, status=400)
        messages.error(request, exc.messages[0])
    return redirect("staff_case", case_id=case.pk)
