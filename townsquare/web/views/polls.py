"""Voting in a poll from a post card: a plain form post, or htmx swapping the poll in place."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.core.ratelimit import RateLimited
from townsquare.polls import actions
from townsquare.polls.models import Poll
from townsquare.polls.queries import poll_for
from townsquare.polls.render import poll_html
from townsquare.web.views.common import safe_next


def _choices(request: HttpRequest) -> list[int]:
    """The posted option positions; anything that is not a small number becomes -1, which the
    action refuses as "not one of the poll's options" (after deciding whether it is a 404)."""
    values = [value.strip() for value in request.POST.getlist("choice")]
    return [
        int(value) if value.isascii() and value.isdigit() and len(value) < 4 else -1
        for value in values
    ]


@login_required
@require_POST
def vote(request: HttpRequest, poll_id: int) -> HttpResponse:
    """Vote with the positions posted as `choice` (one, or several in a multiple-choice poll),
    then go back to `next` (or the post). Unknown polls, and polls on posts the member cannot
    see, are a 404. htmx requests get the poll again: its results, or the form with the error
    (status 400, or 429 when rate-limited)."""
    assert isinstance(request.user, User)
    error, status = "", 200
    try:
        actions.vote(request.user, poll_id, _choices(request))
    except ValidationError as exc:
        error, status = " ".join(exc.messages), 400
    except RateLimited as exc:
        error, status = str(exc), 429
    row = Poll.objects.filter(pk=poll_id).values_list("post_id", "post__author__username").first()
    if row is None:  # deleted with its post just now
        raise Http404("No such poll.")
    post_id, username = row
    back = safe_next(request, reverse("post", args=[username, post_id]))
    if request.headers.get("HX-Request") == "true":
        view = poll_for(post_id, request.user)
        if view is None:
            raise Http404("No such poll.")
        html = poll_html(view, csrf_token=get_token(request), post_url=back, error=error)
        return HttpResponse(html, status=status)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Your vote is counted."))
    return redirect(back)
