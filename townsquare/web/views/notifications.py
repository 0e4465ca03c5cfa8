"""The notifications page, marking them read, and email preferences.

Opening the page does not mark anything read: unread items are highlighted until the member
presses "Mark all as read" (or "Mark as read" on one item); then the menu badge drops.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.accounts.models import User
from townsquare.core.pagination import parse_cursor
from townsquare.core.ratelimit import RateLimited
from townsquare.notifications import actions, queries, text
from townsquare.notifications.models import Delivery, Kind
from townsquare.web.views.common import apply_errors, parse_id, safe_next


class NotificationSettingsForm(forms.Form):
    delivery = forms.ChoiceField(
        choices=Delivery.choices, widget=forms.RadioSelect, label=gettext_lazy("Email me")
    )
    email_kinds = forms.MultipleChoiceField(
        choices=Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=gettext_lazy("About"),
    )


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    kind = request.GET.get("kind") or None
    cursor = parse_cursor(request.GET, default_limit=40, max_limit=80)
    try:
        page = queries.notification_page(
            request.user, kind=kind, max_id=cursor.max_id, limit=cursor.limit
        )
    except ValidationError as exc:
        context = {"page": queries.NotificationPage([], None), "tabs": text.TABS}
        context["error"] = exc.messages[0]
        return render(request, "web/notifications/list.html", context, status=400)
    query = f"kind={kind}&" if kind else ""
    context = {
        "page": page,
        "tabs": text.TABS,
        "current_kind": kind or "",
        "more_url": f"?{query}max_id={page.next_max_id}" if page.next_max_id else "",
        "here": request.get_full_path(),
    }
    if _is_htmx(request) and cursor.max_id:
        return render(request, "web/notifications/_page.html", context)
    return render(request, "web/notifications/list.html", context)


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark the notifications named by `ids`, or with no `ids` all of them, as read."""
    assert isinstance(request.user, User)
    raw_ids = request.POST.getlist("ids")
    ids = [parse_id(raw) for raw in raw_ids]
    checked = [value for value in ids if value is not None]
    if len(checked) != len(ids):
        raise BadRequest(_("That is not a notification."))
    status = 200
    try:
        if checked:
            actions.mark_read(request.user, checked)
        else:
            count = actions.mark_all_read(request.user)
            messages.success(request, _("All caught up.") if count else _("Nothing was unread."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        status = 400
    except RateLimited as exc:
        messages.error(request, str(exc))
        status = 429
    if _is_htmx(request) and status != 200:
        return HttpResponse(status=status)
    return redirect(safe_next(request, reverse("notifications")))


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    status = 200
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            try:
                actions.update_preferences(
                    request.user,
                    delivery=form.cleaned_data["delivery"],
                    email_kinds=form.cleaned_data["email_kinds"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
                status = 429
            else:
                messages.success(request, _("Your notification settings are saved."))
                return redirect("notification_settings")
        status = status if status != 200 else 400
    else:
        prefs = actions.get_preferences(request.user)
        form = NotificationSettingsForm(
            initial={"delivery": prefs.delivery, "email_kinds": list(prefs.email_kinds)}
        )
    context = {"form": form, "email_confirmed": request.user.email_confirmed}
    return render(request, "web/notifications/settings.html", context, status=status)
