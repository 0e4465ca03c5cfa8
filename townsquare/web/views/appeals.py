"""A member appeals a decision from its statement's page: POST `/statements/<id>/appeal`
(reachable by a suspended member: the statements path is allowed)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.moderation import appeals, statements
from townsquare.moderation.models import Appeal, Statement
from townsquare.web.views.common import apply_errors


class AppealForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Why should the decision change?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=appeals.MAX_TEXT,
    )


def context_for(user: User, statement: Statement) -> dict[str, object]:
    """What the statement's page shows of appeals (for `views.statements`)."""
    return {
        "may_appeal": appeals.may_appeal(user, statement),
        "open_appeal": appeals.open_appeal_of(user, statement),
        "decided_appeals": list(
            Appeal.objects.filter(statement=statement, appellant=user)
            .exclude(state="open")
            .order_by("-created_at")
        ),
        "appeal_form": AppealForm(),
    }


@login_required
@require_POST
def appeal(request: HttpRequest, statement_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    statement = Statement.objects.filter(pk=statement_id).first()
    if statement is None or not statements.may_read(request.user, statement):
        raise Http404
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            appeals.appeal(request.user, statement.pk, form.cleaned_data["text"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your appeal was sent to the moderators."))
            return redirect("statement", statement_id=statement.pk)
    context = {
        "statement": statement,
        "lifted_at": statements.lifted_at(statement),
        "appeal_until": statements.appeal_until(statement),
        "is_own": statement.account_id == request.user.pk,
        **context_for(request.user, statement),
        "appeal_form": form,
    }
    return render(request, "web/moderation/statements/detail.html", context, status=400)
