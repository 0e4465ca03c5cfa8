"""Staff: announcements (the banner at the top of every page, and apps' announcements)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.site import announcements
from townsquare.site.models import Announcement
from townsquare.web.operator_forms import AnnouncementForm, NewAnnouncementForm
from townsquare.web.views.common import apply_errors, permission_required

PERMISSION = announcements.PERMISSION


def _list(request: HttpRequest, form: NewAnnouncementForm) -> HttpResponse:
    # Not "announcements": that is the banner's (web/context.py), on every page.
    context = {"all_announcements": list(Announcement.objects.order_by("-id")[:200]), "form": form}
    return render(request, "web/staff/announcements.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION)
def index(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _list(request, NewAnnouncementForm())
    form = NewAnnouncementForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            announcements.create_announcement(
                request.user,  # type: ignore[arg-type]
                text=data["text"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                all_day=data["all_day"],
                publish=data["publish"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("The announcement is published.")
                if data["publish"]
                else _("The announcement is saved as a draft."),
            )
            return redirect("staff_announcements")
    return _list(request, form)


def _found(announcement_id: int) -> Announcement:
    found = Announcement.objects.filter(pk=announcement_id).first()
    if found is None:
        raise Http404(_("There is no such announcement."))
    return found


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION)
def edit(request: HttpRequest, announcement_id: int) -> HttpResponse:
    announcement = _found(announcement_id)
    if request.method == "POST":
        form = AnnouncementForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                announcements.update_announcement(
                    request.user,  # type: ignore[arg-type]
                    announcement.pk,
                    text=data["text"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    all_day=data["all_day"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The announcement is saved."))
                return redirect("staff_announcements")
    else:
        form = AnnouncementForm(
            initial={
                "text": announcement.text,
                "starts_at": announcement.starts_at,
                "ends_at": announcement.ends_at,
                "all_day": announcement.all_day,
            }
        )
    context = {"announcement": announcement, "form": form}
    return render(request, "web/staff/announcement_edit.html", context)


@require_POST
@permission_required(PERMISSION)
def publish(request: HttpRequest, announcement_id: int) -> HttpResponse:
    wanted = request.POST.get("published") == "1"
    try:
        announcements.set_published(request.user, announcement_id, published=wanted)  # type: ignore[arg-type]
    except Announcement.DoesNotExist:
        raise Http404(_("There is no such announcement.")) from None
    messages.success(
        request,
        _("The announcement is published.") if wanted else _("The announcement is taken down."),
    )
    return redirect("staff_announcements")


@require_POST
@permission_required(PERMISSION)
def delete(request: HttpRequest, announcement_id: int) -> HttpResponse:
    try:
        announcements.delete_announcement(request.user, announcement_id)  # type: ignore[arg-type]
    except Announcement.DoesNotExist:
        raise Http404(_("There is no such announcement.")) from None
    messages.success(request, _("The announcement is deleted."))
    return redirect("staff_announcements")
