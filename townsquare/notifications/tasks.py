"""Jobs: notification emails, one at a time or in a daily digest."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from townsquare.core.jobs import BULK, INTERACTIVE, retried
from townsquare.notifications import emails
from townsquare.notifications.models import NotificationPreferences


@task(priority=INTERACTIVE)
@retried()
def send_notification_email(notification_id: int) -> None:
    """Email one notification, after checking it is still unread, shown and wanted."""
    emails.send_one(notification_id)


@task(priority=BULK)
@retried()
def send_digest(member_id: int, token: int) -> None:
    """Send a member's digest. Only the job the preferences name runs; a second run of it
    (or a replaced job) finds nothing to do, so no digest is sent twice."""
    with transaction.atomic():
        prefs = (
            NotificationPreferences.objects.select_for_update()
            .filter(member_id=member_id, digest_token=token)
            .first()
        )
        if prefs is not None:
            emails.send_digest(prefs)
