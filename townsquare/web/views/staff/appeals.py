"""Staff: open appeals (`/admin/moderation/appeals`), each decided with a reply
(`/admin/moderation/appeals/<id>`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts.models import User
from townsquare.moderation import appeals
from townsquare.moderation.models import AppealState
from townsquare.web.views.common import apply_errors, permission_required

PERMISSION = "moderate_content"
PAGE_SIZE = 100


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            (AppealState.UPHELD, gettext_lazy("Uphold the decision")),
            (AppealState.REVERSED, gettext_lazy("Reverse the decision")),
        ],
    )
    reply = forms.CharField(
        label=gettext_lazy("Reply to the member"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=appeals.MAX_TEXT,
    )


def _page(request: HttpRequest, forms_by_id: dict[int, DecideForm], status: int) -> HttpResponse:
    assert isinstance(request.user, User)
    rows = [
        {
            "appeal": found,
            "form": forms_by_id.get(found.pk) or DecideForm(),
            "may_decide": appeals.may_decide(request.user, appeals.decision_of(found)),
        }
        for found in appeals.open_appeals()[:PAGE_SIZE]
    ]
    return render(request, "web/staff/appeals.html", {"rows": rows}, status=status)


@permission_required(PERMISSION)
@require_GET
def appeal_list(request: HttpRequest) -> HttpResponse:
    return _page(request, {}, 200)


@permission_required(PERMISSION)
@require_POST
def decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            appeals.decide(
                request.user, appeal_id, form.cleaned_data["outcome"], form.cleaned_data["reply"]
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The appeal was decided and the member notified."))
            return redirect("staff_appeals")
    return _page(request, {appeal_id: form}, 400)
