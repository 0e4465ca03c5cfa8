"""The write layer for events: creating one (as oneself, as an account one may act as, or in a
group one belongs to), changing, cancelling and deleting it, answering it, and sending the
reminders. Each change is one transaction; bad input is a ValidationError by field, a change
one may not make is PermissionDenied, and an event one may not see is Http404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.accounts.queries import can_act_as, render_member_text
from townsquare.communities import queries as group_queries
from townsquare.communities.models import Group, Role
from townsquare.core import ratelimit, words
from townsquare.core.jobs import enqueue
from townsquare.events import queries, times
from townsquare.events.models import Answer, Event, EventAnswer
from townsquare.events.models.event import DESCRIPTION_MAX, PLACE_MAX, TITLE_MAX, URL_MAX
from townsquare.media import images
from townsquare.notifications.actions import notify
from townsquare.notifications.models import Kind

REMIND_BEFORE = timedelta(hours=24)
DEFAULT_LENGTH = timedelta(hours=1)  # when no end is given
MAX_LENGTH = timedelta(days=31)
MAX_AHEAD = timedelta(days=5 * 366)
# A reminder job that runs a little before its time (clocks of several workers) still counts.
REMIND_SLACK = timedelta(minutes=1)
COVER = images.Shape("event-covers", 1500, 500)

_URL = URLValidator(schemes=["http", "https"])
_UNSET: Any = object()


@dataclass
class _Details:
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    place: str
    online_url: str


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > URL_MAX:
        raise ValidationError(_("Links are at most %(count)d characters.") % {"count": URL_MAX})
    try:
        _URL(url)
    except ValidationError:
        raise ValidationError(_("Give a web address starting with https:// or http://.")) from None
    return url


def _clean(
    *,
    title: str,
    description: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    time_zone: str,
    place: str,
    online_url: str,
    start_fixed: datetime | None = None,
) -> _Details:
    """Every field checked at once (all the errors together). Naive times are wall-clock
    times in `time_zone`. A new start must be in the future; `start_fixed` is an existing
    event's start, which may stay as it is."""
    errors: dict[str, str] = {}
    title = " ".join((title or "").split())
    description = (description or "").replace("\r\n", "\n").strip()
    place = " ".join((place or "").split())
    if not title:
        errors["title"] = _("Give the event a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Titles are at most %(count)d characters.") % {"count": TITLE_MAX}
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("At most %(count)s characters.") % {
            "count": words.number(DESCRIPTION_MAX)
        }
    if len(place) > PLACE_MAX:
        errors["place"] = _("At most %(count)s characters.") % {"count": PLACE_MAX}
    try:
        online_url = _clean_url(online_url)
    except ValidationError as exc:
        errors["online_url"] = exc.messages[0]
    time_zone = (time_zone or "").strip()
    start = end = None
    try:
        where = times.zone(time_zone)
    except times.BadTime:
        errors["time_zone"] = _("Choose a time zone from the list.")
    else:
        if starts_at is None:
            errors["starts_at"] = _("Say when the event starts.")
        else:
            try:
                start = times.to_utc(starts_at, where)
            except times.BadTime as exc:
                errors["starts_at"] = str(exc)
        if ends_at is not None:
            try:
                end = times.to_utc(ends_at, where)
            except times.BadTime as exc:
                errors["ends_at"] = str(exc)
    now = timezone.now()
    if start is not None and start != start_fixed:
        if start <= now:
            errors["starts_at"] = _("The start must be in the future.")
        elif start > now + MAX_AHEAD:
            errors["starts_at"] = _("Events can be planned up to five years ahead.")
    if start is not None and end is not None:
        if end <= start:
            errors["ends_at"] = _("The end must be after the start.")
        elif end - start > MAX_LENGTH:
            errors["ends_at"] = _("An event lasts at most %(count)d days.") % {
                "count": MAX_LENGTH.days
            }
    if errors:
        raise ValidationError(errors)
    assert start is not None
    return _Details(
        title=title,
        description=description,
        starts_at=start,
        ends_at=end if end is not None else start + DEFAULT_LENGTH,
        time_zone=time_zone,
        place=place,
        online_url=online_url,
    )


def _process_cover(cover: IO[bytes]) -> str:
    try:
        return images.process_image(cover, COVER)
    except ValidationError as exc:
        raise ValidationError({"cover": exc.messages}) from None


def _schedule_reminder(event: Event) -> None:
    """Queue the reminder job for the event's start (at once when that is within a day)."""
    from townsquare.events import tasks

    due = max(event.starts_at - REMIND_BEFORE, timezone.now())
    enqueue(tasks.send_event_reminders.using(run_after=due), event.pk)


def _check_group_planner(creator: User, group: Group) -> None:
    """A group's events are planned by its members, not while muted there, and only by its
    moderators in a group whose posts wait for approval (events are not reviewed)."""
    place = group_queries.posting_place(creator, group.pk)
    if place is None:
        raise PermissionDenied(_("Only the group's members can create its events."))
    if place.muted_until is not None and place.muted_until > timezone.now():
        raise PermissionDenied(_("The group's moderators muted you there for now."))
    if group.approve_posts and place.role < Role.MODERATOR:
        raise PermissionDenied(_("In this group, its moderators plan the events."))


def create_event(
    creator: User,
    *,
    title: str,
    starts_at: datetime | None,
    time_zone: str,
    ends_at: datetime | None = None,
    description: str = "",
    place: str = "",
    online_url: str = "",
    cover: IO[bytes] | None = None,
    group: Group | None = None,
    host: User | None = None,
) -> Event:
    """A new event, hosted by the creator (or by `host`, an account they may act as), in
    `group` when given (they must be a member of it)."""
    if not creator.is_active:
        raise PermissionDenied(_("This account cannot create events."))
    host = creator if host is None else host
    if host.pk != creator.pk and not (host.is_active and can_act_as(creator, host)):
        raise PermissionDenied(_("You can't create events for this account."))
    if group is not None:
        _check_group_planner(creator, group)
    details = _clean(
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=time_zone,
        place=place,
        online_url=online_url,
    )
    ratelimit.EVENTS_PER_ACCOUNT.hit(str(creator.pk))
    cover_path = _process_cover(cover) if cover is not None else ""
    try:
        with transaction.atomic():
            event = Event.objects.create(
                host=host,
                group=group,
                created_by=creator,
                title=details.title,
                description=details.description,
                description_html=_html(details.description),
                starts_at=details.starts_at,
                ends_at=details.ends_at,
                time_zone=details.time_zone,
                place=details.place,
                online_url=details.online_url,
                cover=cover_path,
            )
            _schedule_reminder(event)
    except BaseException:
        images.delete_image(cover_path)
        raise
    return event


def _html(description: str) -> str:
    return render_member_text(description).html if description else ""


def _check_manager(member: User, event: Event) -> None:
    if not queries.can_see_event(member, event):
        raise queries.not_found()
    if not queries.can_manage_event(member, event):
        raise PermissionDenied(_("Only the event's hosts can change it."))


def update_event(
    editor: User,
    event: Event,
    *,
    title: str = _UNSET,
    starts_at: datetime | None = _UNSET,
    time_zone: str = _UNSET,
    ends_at: datetime | None = _UNSET,
    description: str = _UNSET,
    place: str = _UNSET,
    online_url: str = _UNSET,
    cover: IO[bytes] | None = None,
    remove_cover: bool = False,
) -> Event:
    """Change an event (the fields given; naive times are wall-clock times in the event's
    time zone, or in the new one). A start moved to another time is reminded again."""
    _check_manager(editor, event)
    zone_name = event.time_zone if time_zone is _UNSET else time_zone

    def _keep(value: Any, current: Any) -> Any:
        return current if value is _UNSET else value

    details = _clean(
        title=_keep(title, event.title),
        description=_keep(description, event.description),
        starts_at=_keep(starts_at, event.starts_at),
        ends_at=_keep(ends_at, event.ends_at),
        time_zone=zone_name,
        place=_keep(place, event.place),
        online_url=_keep(online_url, event.online_url),
        start_fixed=event.starts_at,
    )
    ratelimit.WRITES_PER_ACCOUNT.hit(str(editor.pk))
    new_cover = _process_cover(cover) if cover is not None else ""
    try:
        with transaction.atomic():
            current = Event.objects.select_for_update().filter(pk=event.pk).first()
            if current is None:
                raise queries.not_found()
            old_cover = current.cover
            moved = details.starts_at != current.starts_at
            changes: dict[str, Any] = {
                "title": details.title,
                "description": details.description,
                "description_html": _html(details.description),
                "starts_at": details.starts_at,
                "ends_at": details.ends_at,
                "time_zone": details.time_zone,
                "place": details.place,
                "online_url": details.online_url,
                "updated_at": timezone.now(),
            }
            if new_cover:
                changes["cover"] = new_cover
            elif remove_cover:
                changes["cover"] = ""
            Event.objects.filter(pk=event.pk).update(**changes)
            for attr, value in changes.items():
                setattr(event, attr, value)
            if moved and current.cancelled_at is None:
                _schedule_reminder(event)
            if "cover" in changes and old_cover:
                transaction.on_commit(lambda: images.delete_image(old_cover))
    except BaseException:
        images.delete_image(new_cover)
        raise
    return event


def cancel_event(member: User, event: Event) -> Event:
    """Mark the event cancelled: its page stays, with the label, and nobody is reminded."""
    _check_manager(member, event)
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    now = timezone.now()
    with transaction.atomic():
        Event.objects.filter(pk=event.pk, cancelled_at__isnull=True).update(
            cancelled_at=now, updated_at=now
        )
    event.refresh_from_db(fields=["cancelled_at", "updated_at"])
    return event


def delete_event(member: User, event: Event) -> None:
    """Delete the event, its answers and its reminders."""
    _check_manager(member, event)
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        cover = Event.objects.filter(pk=event.pk).values_list("cover", flat=True).first()
        Event.objects.filter(pk=event.pk).delete()
        if cover:
            transaction.on_commit(lambda: images.delete_image(cover))


def discard_group_events(group: Group) -> None:
    """A group being deleted: its events go with it (the rows cascade); their cover files go
    when the deletion commits. Inside the caller's transaction."""
    covers = list(
        Event.objects.filter(group=group).exclude(cover="").values_list("cover", flat=True)
    )
    for cover in covers:
        transaction.on_commit(lambda path=cover: images.delete_image(path))  # type: ignore[misc]


def answer_event(member: User, event: Event, answer: str | None) -> str | None:
    """Answer going, interested or not going (None takes the answer back); returns it.
    Only those who may see the event answer, and only until it is over or cancelled; a
    member banned from the event's group does not answer its events."""
    if answer is not None and answer not in Answer.values:
        raise ValidationError(_("Choose going, interested or not going."))
    if not member.is_active:
        raise PermissionDenied(_("This account cannot answer events."))
    if not queries.can_see_event(member, event):
        raise queries.not_found()
    if queries.is_banned_from_group(member, event):
        raise ValidationError(_("You can't answer this group's events."))
    if event.cancelled_at is not None:
        raise ValidationError(_("This event is cancelled."))
    if event.ends_at <= timezone.now():
        raise ValidationError(_("This event is over."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    now = timezone.now()
    with transaction.atomic():
        rows = EventAnswer.objects.filter(event_id=event.pk, member_id=member.pk)
        if answer is None:
            rows.delete()
            return None
        if not rows.update(answer=answer, updated_at=now):
            try:
                with transaction.atomic():
                    EventAnswer.objects.create(
                        event_id=event.pk, member_id=member.pk, answer=answer, updated_at=now
                    )
            except IntegrityError:  # answered at the same moment elsewhere
                rows.update(answer=answer, updated_at=now)
    return answer


def send_reminders(event_id: int) -> int:
    """Remind those going or interested (who may still see the event) that it starts soon;
    returns how many were told. Run by the job queued for the event's start: it does nothing
    for a deleted or cancelled event, for a start moved later (that time has its own job), or
    when the reminders for this start went out already; nothing after the start either."""
    now = timezone.now()
    with transaction.atomic():
        # Locked alone: PostgreSQL locks no row on the nullable side of a join (the group).
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.cancelled_at is not None:
            return 0
        if event.reminded_for == event.starts_at:
            return 0
        if event.starts_at - REMIND_BEFORE > now + REMIND_SLACK:
            return 0  # the start moved later: the job queued for it reminds then
        Event.objects.filter(pk=event.pk).update(reminded_for=event.starts_at)
        if event.starts_at <= now:
            return 0  # too late to remind (the worker was away)
        told = 0
        for member_id in sorted(queries.who_can_see(event, queries.attendee_ids(event))):
            if notify(member_id, Kind.EVENT_REMINDER, event_id=event.pk) is not None:
                told += 1
    return told
