"""Event pages: the calendar of upcoming events (by day, the viewer's own first), creating an
event (as oneself or in one of one's groups), an event's page with its answers, editing,
cancelling and deleting, and the .ics file. Every page works without JavaScript; the whole
area is a 404 while the operator has switched events off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.accounts.models import User
from townsquare.accounts.queries import active_member
from townsquare.communities import queries as group_queries
from townsquare.communities.models import Group
from townsquare.core.ratelimit import RateLimited
from townsquare.events import actions, ics, queries, times
from townsquare.events.models import Answer, Event
from townsquare.site import features
from townsquare.web.event_forms import PAGE_PREFIX, EventForm
from townsquare.web.views.common import apply_errors, feature_required, parse_id, safe_next

FEATURE = "events"
PAGE_SIZE = 60
_ANSWERED: dict[str, Promise] = {
    Answer.GOING.value: gettext_lazy("You're going. We'll remind you the day before."),
    Answer.INTERESTED.value: gettext_lazy("Marked as interested. We'll remind you the day before."),
    Answer.NOT_GOING.value: gettext_lazy("You're not going."),
}


@dataclass
class Listed:
    """An event as a listing shows it: its times in its own zone, and the viewer's answer."""

    event: Event
    starts: datetime
    ends: datetime
    answer: str | None

    @property
    def time_text(self) -> str:
        return times.hours_text(self.starts, self.ends)

    @property
    def day_text(self) -> str:
        return times.short_day_text(self.starts.date())

    @property
    def month_text(self) -> str:
        return times.month_text(self.starts)

    @property
    def answer_label(self) -> str:
        return str(Answer(self.answer).label) if self.answer else ""


@dataclass
class Day:
    heading: str
    events: list[Listed]


def _listed(viewer: Any, events: Sequence[Event]) -> list[Listed]:
    answers = queries.answers_of(viewer, [event.pk for event in events])
    return [
        Listed(
            event=event,
            starts=times.local(event.starts_at, event.time_zone),
            ends=times.local(event.ends_at, event.time_zone),
            answer=answers.get(event.pk),
        )
        for event in events
    ]


def _heading(day: date, today: date) -> str:
    words = times.day_text(day)
    if day == today:
        return _("Today · %(day)s") % {"day": words}
    if day == today + timedelta(days=1):
        return _("Tomorrow · %(day)s") % {"day": words}
    return words


def by_day(items: Sequence[Listed]) -> list[Day]:
    """Listed events under the day they start on, in their own time zone (the day the host
    means), days in order and each day's events by their start."""
    ordered = sorted(items, key=lambda item: (item.starts.date(), item.event.starts_at))
    days: list[Day] = []
    now = timezone.now()
    for item in ordered:
        day = item.starts.date()
        if days and days[-1].events[0].starts.date() == day:
            days[-1].events.append(item)
            continue
        today = now.astimezone(item.starts.tzinfo).date()
        days.append(Day(heading=_heading(day, today), events=[item]))
    return days


@feature_required(FEATURE)
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    group: Group | None = None
    host: User | None = None
    if handle := request.GET.get("group", "").strip():
        group = group_queries.group_by_handle(viewer, handle)
    if username := request.GET.get("host", "").strip():
        host = active_member(username.lstrip("@"))
        if host is None:
            raise Http404("No such member.")
    after_id = parse_id(request.GET.get("after"))
    after = (
        queries.visible_events(viewer).filter(pk=after_id).first() if after_id is not None else None
    )
    events = queries.upcoming(viewer, group=group, host=host, after=after, limit=PAGE_SIZE)
    filtered = group is not None or host is not None
    mine = queries.attending(viewer) if after is None and not filtered else []
    listed = _listed(viewer, [*mine, *events])
    context = {
        "days": by_day(listed[len(mine) :]),
        "mine": listed[: len(mine)],
        "group": group,
        "host": host,
        "next_after": events[-1].pk if len(events) == PAGE_SIZE else None,
        "filtered": filtered,
        "can_create": isinstance(viewer, User)
        and (group is None or group_queries.is_member_of(viewer, group.pk)),
    }
    return render(request, "web/events/calendar.html", context)


_DETAILS = ("title", "description", "starts_at", "ends_at", "time_zone", "place", "online_url")


def _details(data: dict[str, Any]) -> dict[str, Any]:
    """What the event form says of an event, as the actions take it."""
    return {name: data[name] for name in _DETAILS} | {"cover": data["cover"]}


@feature_required(FEATURE)
@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    member = request.user
    assert isinstance(member, User)
    groups = group_queries.groups_of(member)
    pages = group_queries.pages_run_by(member) if features.enabled("pages") else []
    last_zone = queries.last_time_zone(member)
    if request.method != "POST":
        wanted = request.GET.get("group", "").strip().lower()
        chosen = next((g.handle for g in groups if g.handle.lower() == wanted), "")
        page_wanted = request.GET.get("page", "").strip().lower()
        chosen = chosen or next(
            (f"{PAGE_PREFIX}{p.username}" for p in pages if p.username.lower() == page_wanted), ""
        )
        form = EventForm(
            initial={"group": chosen, "time_zone": last_zone or times.DEFAULT_ZONE},
            zone=last_zone or times.DEFAULT_ZONE,
            groups=groups,
            pages=pages,
            host_name=member.name,
        )
        if last_zone is None:  # events.js starts from the browser's zone
            form.fields["time_zone"].widget.attrs["data-guess-zone"] = "1"
        context = {"form": form, "guess_zone": last_zone is None}
        return render(request, "web/events/form.html", context)
    form = EventForm(
        request.POST,
        request.FILES,
        zone=request.POST.get("time_zone", ""),
        groups=groups,
        pages=pages,
        host_name=member.name,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = actions.create_event(
                member,
                **_details(data),
                group=form.chosen_group(groups),
                host=form.chosen_page(pages),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except (PermissionDenied, RateLimited) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your event is ready. Share it!"))
            return redirect("event", event.pk)
    return render(request, "web/events/form.html", {"form": form}, status=400)


@feature_required(FEATURE)
@require_GET
def event_page(request: HttpRequest, event_id: int) -> HttpResponse:
    viewer = request.user
    event = queries.event_for(viewer, event_id)
    starts = times.local(event.starts_at, event.time_zone)
    ends = times.local(event.ends_at, event.time_zone)
    counts = queries.answer_counts([event.pk])[event.pk]
    answer = queries.answer_of(viewer, event)
    going = queries.people(viewer, event, Answer.GOING)
    now = timezone.now()
    context = {
        "event": event,
        "when": times.span_text(starts, ends),
        "starts": starts,
        "ends": ends,
        "answer": answer,
        "answer_label": Answer(answer).label if answer else "",
        "answers": [(choice.value, choice.label) for choice in Answer],
        "counts": counts,
        "going": going,
        "more_going": max(0, counts[Answer.GOING] - len(going)),
        "manager": queries.can_manage_event(viewer, event),
        "can_answer": queries.can_answer(viewer, event),
        "is_over": event.ends_at <= now,
        "is_now": event.starts_at <= now < event.ends_at,
    }
    return render(request, "web/events/event.html", context)


@feature_required(FEATURE)
@login_required
@require_POST
def answer(request: HttpRequest, event_id: int) -> HttpResponse:
    member = request.user
    assert isinstance(member, User)
    event = queries.event_for(member, event_id)
    raw = request.POST.get("answer", "")
    choice = None if raw == "none" else raw
    try:
        given = actions.answer_event(member, event, choice)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except (PermissionDenied, RateLimited) as exc:
        messages.error(request, str(exc) or _("You can't answer this event."))
    else:
        messages.success(
            request,
            str(_ANSWERED.get(given or "", gettext_lazy("Your answer is taken back."))),
        )
    return redirect(safe_next(request, reverse("event", args=[event.pk])))


def _edit_initial(event: Event) -> dict[str, object]:
    starts = times.local(event.starts_at, event.time_zone).replace(tzinfo=None)
    ends = times.local(event.ends_at, event.time_zone).replace(tzinfo=None)
    return {
        "title": event.title,
        "description": event.description,
        "starts_at": starts,
        "ends_at": ends,
        "time_zone": event.time_zone,
        "place": event.place,
        "online_url": event.online_url,
    }


@feature_required(FEATURE)
@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, event_id: int) -> HttpResponse:
    member = request.user
    assert isinstance(member, User)
    event = queries.event_for(member, event_id)
    if not queries.can_manage_event(member, event):
        raise PermissionDenied(_("Only the event's hosts can change it."))
    if request.method != "POST":
        form = EventForm(initial=_edit_initial(event), editing=True, zone=event.time_zone)
        return render(request, "web/events/form.html", {"form": form, "event": event})
    form = EventForm(
        request.POST, request.FILES, editing=True, zone=request.POST.get("time_zone", "")
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_event(
                member,
                event,
                **_details(data),
                remove_cover=data["remove_cover"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except (PermissionDenied, RateLimited) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The event is saved."))
            return redirect("event", event.pk)
    return render(request, "web/events/form.html", {"form": form, "event": event}, status=400)


def _manage(request: HttpRequest, event_id: int, change: Any, done: str) -> Event:
    member = request.user
    assert isinstance(member, User)
    event = queries.event_for(member, event_id)
    try:
        change(member, event)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except (PermissionDenied, RateLimited) as exc:
        messages.error(request, str(exc) or _("You can't change this event."))
    else:
        messages.success(request, done)
    return event


@feature_required(FEATURE)
@login_required
@require_POST
def cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _manage(
        request,
        event_id,
        actions.cancel_event,
        _("The event is cancelled. Its page stays, marked cancelled; nobody is reminded."),
    )
    return redirect("event", event.pk)


@feature_required(FEATURE)
@login_required
@require_POST
def delete(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _manage(request, event_id, actions.delete_event, _("The event is deleted."))
    if Event.objects.filter(pk=event.pk).exists():
        return redirect("event", event.pk)
    return redirect("events")


@feature_required(FEATURE)
@require_GET
def ics_file(request: HttpRequest, event_id: int) -> HttpResponse:
    event = queries.event_for(request.user, event_id)
    body = ics.event_calendar(
        event,
        page_url=settings.BASE_URL + reverse("event", args=[event.pk]),
        site_url=settings.BASE_URL,
        now=timezone.now(),
    )
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    name = slugify(event.title)[:60] or "event"
    response["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
