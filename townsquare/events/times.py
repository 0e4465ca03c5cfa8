"""Time zones and times of events: which zones are offered and accepted, wall-clock times in a
zone turned into UTC (refusing the hour skipped when clocks go forward), and times put into
words in the event's own zone."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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
                f"{value:%H:%M} does not exist on that day in {where.key} (the clocks change):"
                " choose another time."
            )
        return aware.astimezone(UTC)
    except OverflowError:
        raise BadTime("Choose a date between now and five years ahead.") from None


def local(value: datetime, zone_name: str) -> datetime:
    """`value` (aware) as the wall-clock time in the zone called `zone_name` (UTC when it is
    no longer known)."""
    try:
        where = zone(zone_name)
    except BadTime:
        where = ZoneInfo(DEFAULT_ZONE)
    return value.astimezone(where)


def day_text(day: date) -> str:
    """'Saturday 5 December 2026' (English, whatever the server's locale)."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_day_text(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


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


def span_text(starts: datetime, ends: datetime) -> str:
    """When, in words, both times local: 'Sat 5 Dec 2026, 19:00–22:00 CET', or with both days
    when it ends on another day."""
    if starts.date() == ends.date():
        return f"{short_day_text(starts.date())}, {clock(starts)}–{clock(ends)} {zone_label(ends)}"
    return (
        f"{short_day_text(starts.date())}, {clock(starts)} {zone_label(starts)} – "
        f"{short_day_text(ends.date())}, {clock(ends)} {zone_label(ends)}"
    )
