"""The public appeal form of a notifier (`/appeals/notice/<token>`): the signed link of the
decision email about their notice (`moderation.notice_appeals`) opens it, with or without an
account. Protected like the notice form: a honeypot, a minimum fill time and a proof of work
(`accounts.signup_guard`). A bad or expired link answers 400 with what to do."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from townsquare.accounts import signup_guard
from townsquare.moderation import appeals, notice_appeals, notices
from townsquare.moderation.models import Statement
from townsquare.web.views.common import apply_errors
from townsquare.web.views.notices import _guard

TEMPLATE = "web/moderation/appeals/notice.html"


class NoticeAppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why should the decision change?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=appeals.MAX_TEXT,
    )


@require_http_methods(["GET", "POST"])
def notice_appeal(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = notice_appeals.read(token)
    except ValidationError as error:
        return render(request, TEMPLATE, {"link_error": error.messages[0]}, status=400)
    decision = link.decision
    case = link.case
    context: dict[str, object] = {
        "notice": link.notice,
        "outcome": (
            notices.outcome_text(case, translation.get_language() or "") if case is not None else ""
        ),
        "acted": isinstance(decision, Statement),
        "appeal_until": appeals.appeal_until(decision),
        "open_appeal": notice_appeals.open_appeal(link),
        "guard": _guard(),
    }
    form = NoticeAppealForm(request.POST or None)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        try:
            signup_guard.check_form(request.POST, proof_of_work=signup_guard.proof_of_work_on())
        except ValidationError as error:
            form.add_error(None, error)
    if request.method == "POST" and form.is_valid():
        try:
            appeals.appeal_as_notifier(link.notice.pk, decision, form.cleaned_data["text"])
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return render(request, TEMPLATE, {**context, "sent": True})
    status = 400 if form.is_bound and form.errors else 200
    return render(request, TEMPLATE, context, status=status)
