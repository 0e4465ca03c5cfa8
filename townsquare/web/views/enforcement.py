"""What a restricted account sees: the page a suspended member is sent to (the decision, how to
appeal, their data), and the pages that answer for a suspended account's profile and for a
suspended group."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from townsquare.accounts.models import User
from townsquare.accounts.restrictions import until_text
from townsquare.communities.models import Group
from townsquare.moderation.enforcement import in_force
from townsquare.moderation.models import EnforcementKind


@login_required
@require_GET
def suspended(request: HttpRequest) -> HttpResponse:
    """The suspended member's own page (every other page sends them here)."""
    member = request.user
    assert isinstance(member, User)
    if not member.is_suspended:
        return redirect("home")
    decisions = [e for e in in_force(member) if e.kind == EnforcementKind.SUSPEND]
    context = {
        "until": until_text(member.suspended_until),
        "reason": decisions[0].reason if decisions else "",
    }
    return render(request, "web/moderation/suspended.html", context, status=403)


def suspended_group(request: HttpRequest, group: Group) -> HttpResponse | None:
    """What a suspended group's pages answer (410 Gone) to everyone but staff who moderate;
    None when the group is not suspended or the viewer moderates."""
    viewer = request.user
    if not group.is_suspended or (isinstance(viewer, User) and viewer.can("moderate_content")):
        return None
    return render(request, "web/moderation/suspended_group.html", {"group": group}, status=410)


def suspended_profile(request: HttpRequest, member: User) -> HttpResponse:
    """What a suspended account's profile answers: 410 Gone, saying why nothing is shown."""
    return render(request, "web/moderation/suspended_profile.html", {"member": member}, status=410)
