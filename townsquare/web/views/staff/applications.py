"""Staff: the queue of people asking to join (approval mode)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts import registration
from townsquare.site import state
from townsquare.web.site_forms import DeclineForm
from townsquare.web.views.common import permission_required


@require_GET
@permission_required("approve_signups")
def queue(request: HttpRequest) -> HttpResponse:
    context = {
        "applications": registration.pending_applications(),
        "question": state.site_settings().approval_question,
        "decline_form": DeclineForm(),
    }
    return render(request, "web/staff/applications.html", context)


@require_POST
@permission_required("approve_signups")
def accept(request: HttpRequest, application_id: int) -> HttpResponse:
    try:
        application = registration.accept_application(request.user, application_id)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("@%(name)s can now log in.") % {"name": application.username})
    return redirect("staff_applications")


@require_POST
@permission_required("approve_signups")
def decline(request: HttpRequest, application_id: int) -> HttpResponse:
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        application = registration.decline_application(
            request.user,  # type: ignore[arg-type]
            application_id,
            reason,
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("The application of @%(name)s was declined.") % {"name": application.username},
        )
    return redirect("staff_applications")
