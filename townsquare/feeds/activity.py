"""Members away for a while get no fan-out; their home feed is rebuilt when they come back.

A site's members are not all active: writing every post into the home feeds of members who
have not visited for months costs rows nobody reads. Each member's last day on the site is
kept in `User.active_on` (written at most once a day, by the web's session middleware and by
the API on a token's use). Fan-out skips followers whose day is older than
TOWNSQUARE_INACTIVE_DAYS (30). When such a member comes back, `feeds.actions.touch` rebuilds their feed
before the page is shown: the newest posts of whom they follow since they left, up to the
feed's cap, in one statement.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone


def cutoff(today: date | None = None) -> date:
    """Members last active before this day are inactive (no fan-out)."""
    return (today or timezone.localdate()) - timedelta(days=settings.TOWNSQUARE["INACTIVE_DAYS"])
