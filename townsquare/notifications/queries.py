"""Reading notifications."""

from __future__ import annotations

from townsquare.accounts.models import User
from townsquare.notifications.models import Notification


def unread_count(member: User) -> int:
    """How many notifications `member` has not read (the badge in the menu)."""
    return Notification.objects.filter(recipient=member, read=False).count()
