"""Time zones and times of events: which zones are offered and accepted, wall-clock times in a
zone turned into UTC (refusing the hour skipped when clocks go forward), and times put into
words in the event's own zone (in the active language: day and month names, and the order of
the parts, are the translators' to choose)."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

DEFAULT_ZONE = "UTC"
# Regions whose "Area/City" names the form lists (the other names are still accepted).
_LISTED_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


class BadTime(ValueError):
    pass


@functools.cache
def accepted_zones() -> frozenset[str]:
    """Every IANA zone name this system knows (and UTC, always)."""
    return frozenset(available_timezones() - {"localtime", "Factory"}) | {DEFAULT_ZONE}


@functools.cache
def listed_zones() -> tuple[str, ...]:
    """The zones offered in the form: UTC, then the Area/City names, sorted."""
    names = sorted(name for name in accepted_zones() if name.startswith(_LISTED_AREAS))
    return (DEFAULT_ZONE, *names)


def zone(name: str) -> ZoneInfo:
    """The zone called `name`; BadTime when it is not a zone this site accepts."""
    if name not in accepted_zones():
        raise BadTime(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadTime(name) from None


def to_utc(value: datetime, where: ZoneInfo) -> datetime:
    """A time in UTC: a naive `value` is the wall-clock time in `where`. A wall-clock time
    that does not exist there (skipped when the clocks go forward) is BadTime; one that
    happens twice (when they go back) is the first."""
    try:
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        aware = value.replace(tzinfo=where, fold=0)
        if aware.astimezone(UTC).astimezone(where).replace(tzinfo=None) != value:
            raise BadTime(
                _(
                    "%(time)s does not exist on that day in %(zone)s (the clocks change): "
                    "choose another time."
                )
                % {"time": f"{value:%H:%M}", "zone": where.key}
            )
        return aware.astimezone(UTC)
    except OverflowError:
        raise BadTime(_("Choose a date between now and five years ahead.")) from None


def local(value: datetime, zone_name: str) -> datetime:
    """`value` (aware) as the wall-clock time in the zone called `zone_name` (UTC when it is
    no longer known)."""
    try:
        where = zone(zone_name)
    except BadTime:
        where = ZoneInfo(DEFAULT_ZONE)
    return value.astimezone(where)


def day_text(day: date) -> str:
    """'Saturday 5 December 2026' (whatever the server's locale)."""
    # Translators: a date in the form of Django's date filter (l: weekday, j: day, F: month).
    return dateformat.format(day, pgettext("date format of a day in full", "l j F Y"))


def short_day_text(day: date) -> str:
    """'Sat 5 Dec 2026'."""
    # Translators: a date in the form of Django's date filter (D: weekday, M: month, short).
    return dateformat.format(day, pgettext("date format of a day, short", "D j M Y"))


def month_text(value: date) -> str:
    """'Dec': the month on an event's calendar leaf."""
    return dateformat.format(value, "M")


def clock(value: datetime) -> str:
    return f"{value:%H:%M}"


def zone_label(value: datetime) -> str:
    """The zone's abbreviation at that time ('CET'), or its UTC offset when it has none."""
    name = value.tzname() or ""
    if name and not name.startswith(("+", "-")):
        return name
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def moment_text(value: datetime) -> str:
    """'Sat 5 Dec 2026, 19:00 CET'."""
    return _("%(day)s, %(time)s %(zone)s") % {
        "day": short_day_text(value.date()),
        "time": clock(value),
        "zone": zone_label(value),
    }


def span_text(starts: datetime, ends: datetime) -> str:
    """When, in words, both times local: 'Sat 5 Dec 2026, 19:00–22:00 CET', or with both days
    when it ends on another day."""
    if starts.date() == ends.date():
        return _("%(day)s, %(start)s–%(end)s %(zone)s") % {
            "day": short_day_text(starts.date()),
            "start": clock(starts),
            "end": clock(ends),
            "zone": zone_label(ends),
        }
    return _("%(start)s – %(end)s") % {"start": moment_text(starts), "end": moment_text(ends)}


def hours_text(starts: datetime, ends: datetime) -> str:
    """The times of a listed event under its day: '19:00–22:00 CET', or, when it ends on
    another day, '19:00 CET – Sun 6 Dec 2026, 01:00'."""
    if starts.date() == ends.date():
        return _("%(start)s–%(end)s %(zone)s") % {
            "start": clock(starts),
            "end": clock(ends),
            "zone": zone_label(ends),
        }
    return _("%(start)s %(zone)s – %(day)s, %(end)s") % {
        "start": clock(starts),
        "zone": zone_label(starts),
        "day": short_day_text(ends.date()),
        "end": clock(ends),
    }
