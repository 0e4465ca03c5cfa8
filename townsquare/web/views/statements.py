"""A member's statements of reasons: `/statements` (theirs, newest first) and
`/statements/<id>` (one; only the affected member and staff open it; a suspended member
reaches both)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from townsquare.accounts.models import User
from townsquare.moderation import statements
from townsquare.moderation.models import Statement
from townsquare.web.views import appeals

PAGE_SIZE = 100


@login_required
@require_GET
def statement_list(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    found = list(statements.of_member(request.user)[:PAGE_SIZE])
    return render(request, "web/moderation/statements/list.html", {"statements": found})


@login_required
@require_GET
def statement_page(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = Statement.objects.prefetch_related("enforcements").filter(pk=statement_id).first()
    if statement is None or not statements.may_read(request.user, statement):
        raise Http404  # nobody learns that someone else's statement exists
    context: dict[str, object] = {
        "statement": statement,
        "lifted_at": statements.lifted_at(statement),
        "appeal_until": statements.appeal_until(statement),
        "is_own": statement.account_id == request.user.pk,
    }
    if context["is_own"]:
        assert isinstance(request.user, User)
        context.update(appeals.context_for(request.user, statement))
    return render(request, "web/moderation/statements/detail.html", context)
