"""What an open page asks for when its live connection tells it something changed."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from townsquare.web.context import menu_badges


@require_GET
def badges(request: HttpRequest) -> JsonResponse:
    """The menu's numbers: unread notifications, conversations with unread messages."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Not signed in")}, status=401)
    return JsonResponse(menu_badges(request.user))
