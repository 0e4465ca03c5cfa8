"""An event as an iCalendar file (RFC 5545), written by hand: CRLF line endings, content lines
folded at 75 octets (never inside a UTF-8 character), TEXT values escaped, times in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from townsquare.events.models import Event

CRLF = "\r\n"
MAX_OCTETS = 75
PRODID = "-//Townsquare//Events//EN"
# Control characters are not allowed in TEXT (tab is; line breaks are escaped first).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded into lines of at most 75 octets: each continuation line starts
    with one space. A character is never split across lines."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    limit = MAX_OCTETS
    for char in line:
        size = len(char.encode("utf-8"))
        if used + size > limit:
            pieces.append("".join(current))
            current, used, limit = [" "], 1, MAX_OCTETS
        current.append(char)
        used += size
    pieces.append("".join(current))
    return CRLF.join(pieces)


def utc_stamp(value: datetime) -> str:
    """A DATE-TIME in UTC form: 20261205T180000Z."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _uri(value: str) -> str:
    """A URI value (not TEXT: not escaped), with anything that could break the line out."""
    return _CONTROL.sub("", value.replace("\r", "").replace("\n", ""))


def event_calendar(event: Event, *, page_url: str, site_url: str, now: datetime) -> str:
    """The calendar file for `event`: one VEVENT, its UID `<id>@<site host>`."""
    host = urlsplit(site_url).hostname or "localhost"
    description = event.description
    if event.online_url and event.place:
        description = f"{description}\n\nOnline: {event.online_url}".strip()
    description = f"{description}\n\n{page_url}".strip()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{event.pk}@{host}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"CREATED:{utc_stamp(event.created_at)}",
        f"LAST-MODIFIED:{utc_stamp(event.updated_at)}",
        f"SUMMARY:{escape_text(event.title)}",
        f"DESCRIPTION:{escape_text(description)}",
    ]
    location = event.place or event.online_url
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    lines += [
        f"URL:{_uri(page_url)}",
        f"STATUS:{'CANCELLED' if event.cancelled_at is not None else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + CRLF for line in lines)
