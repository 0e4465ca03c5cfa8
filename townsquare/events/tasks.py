"""Event jobs: the reminder sent a day before an event starts."""

from __future__ import annotations

from django_tasks import task

from townsquare.core.jobs import INTERACTIVE, retried


@task(priority=INTERACTIVE)
@retried()
def send_event_reminders(event_id: int) -> int:
    """Remind those going or interested, if it is time (see actions.send_reminders); returns
    how many were told."""
    from townsquare.events.actions import send_reminders

    return send_reminders(event_id)
