"""Closing an announcement's banner: a member's choice is kept on their account, a visitor's in
a cookie of their browser. Works without JavaScript (a form and a redirect back); with htmx the
banner is removed in place."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.site import announcements, state
from townsquare.site.models import Announcement
from townsquare.web.views.common import safe_next

COOKIE_DAYS = 365


@require_POST
def dismiss(request: HttpRequest, announcement_id: int) -> HttpResponse:
    member = request.user if request.user.is_authenticated else None
    if member is not None:
        try:
            announcements.dismiss(member, announcement_id)
        except Announcement.DoesNotExist:
            raise Http404(_("There is no such announcement.")) from None
    elif all(a.id != announcement_id for a in state.current().announcements):
        raise Http404(_("There is no such announcement."))
    if request.headers.get("HX-Request"):
        response = HttpResponse("")  # the banner's place, now empty
    else:
        response = redirect(safe_next(request, "/"))
    if member is None:
        response.set_cookie(
            announcements.COOKIE,
            announcements.cookie_with(request.COOKIES.get(announcements.COOKIE), announcement_id),
            max_age=COOKIE_DAYS * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response
