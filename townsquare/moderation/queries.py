"""Read-side queries for moderation."""

from __future__ import annotations

from django.db.models import QuerySet

from townsquare.accounts.models import User
from townsquare.moderation.models import Report


def reports_by(reporter: User) -> QuerySet[Report]:
    """The reports a member made, newest first."""
    return Report.objects.filter(reporter=reporter).order_by("-id")


def open_reports() -> QuerySet[Report]:
    """Reports no moderator has acted on yet, newest first."""
    return Report.objects.filter(action_taken=False).order_by("-id")
