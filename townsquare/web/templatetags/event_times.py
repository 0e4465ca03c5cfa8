"""Event times in templates, in the event's own time zone (Django's `date` filter would show
them in the server's)."""

from __future__ import annotations

from django import template

from townsquare.events import times
from townsquare.events.models import Event

register = template.Library()


@register.filter
def event_when(event: Event) -> str:
    """'Sat 5 Dec 2026, 19:00 CET'."""
    return times.moment_text(times.local(event.starts_at, event.time_zone))
