"""A member's invite links (when the site lets members invite)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.accounts import registration
from townsquare.core.ratelimit import RateLimited
from townsquare.web.site_forms import InviteForm
from townsquare.web.views.common import apply_errors


def invite_link(code: str) -> str:
    return f"{settings.BASE_URL}{reverse('signup')}?invite={code}"


@login_required
@require_http_methods(["GET", "POST"])
def invites(request: HttpRequest) -> HttpResponse:
    member = request.user
    allowed = registration.may_invite(member)  # type: ignore[arg-type]
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("You cannot invite people to this site."))
        if form.is_valid():
            try:
                registration.create_invite(
                    member,  # type: ignore[arg-type]
                    days=form.cleaned_data["days"],
                    max_uses=form.cleaned_data["max_uses"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your invite link is ready: share it with someone."))
                return redirect("invites")
    rows = [
        {
            "invite": invite,
            "link": invite_link(invite.code),
            "problem": registration.invite_status(invite.code, invite=invite),
        }
        for invite in registration.invites_of(member)  # type: ignore[arg-type]
    ]
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "rows": rows, "allowed": allowed}
    return render(request, "web/settings/invites.html", context, status=status)


@login_required
@require_POST
def revoke(request: HttpRequest, invite_id: int) -> HttpResponse:
    registration.revoke_invite(request.user, invite_id)  # type: ignore[arg-type]
    messages.success(request, _("The invite link no longer works."))
    return redirect("invites")
