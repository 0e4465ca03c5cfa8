"""Members away for a while get no fan-out; their home feed is rebuilt when they come back.

A site's members are not all active: writing every post into the home feeds of members who
have not visited for months costs rows nobody reads. Each member's last day on the site is
kept in `User.active_on` (written at most once a day, by the web's session middleware and by
the API on a token's use). Fan-out skips followers whose day is older than
TOWNSQUARE_INACTIVE_DAYS (30). When such a member comes back, `touch` rebuilds their feed
before the page is shown: the newest posts of whom they follow since they left, up to the
feed's cap, in one statement.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core.ids import id_for_time


def cutoff(today: date | None = None) -> date:
    """Members last active before this day are inactive (no fan-out)."""
    return (today or timezone.localdate()) - timedelta(days=settings.TOWNSQUARE["INACTIVE_DAYS"])


def touch(user: User) -> bool:
    """Record that `user` is using the site today (a no-op when already recorded). Returns
    whether their home feed was rebuilt (they were inactive)."""
    today = timezone.localdate()
    last = user.active_on
    if last == today:
        return False
    user.active_on = today
    recorded = User.objects.filter(pk=user.pk).exclude(active_on=today)
    if last is None or last >= cutoff(today):
        recorded.update(active_on=today)  # one statement
        return False
    with transaction.atomic():  # back from a long absence: the day and the feed together
        if not recorded.update(active_on=today):  # another request of theirs did it first
            return False
        rebuild_home(user.pk, since=last)
    return True


def rebuild_home(owner_id: int, *, since: date) -> int:
    """Write the newest posts (up to the feed's cap) of everyone `owner_id` follows, made
    since the day `since` (a day of margin before it), into their home feed. Broadcasters and
    groups are read at read time and are left out; so are replies to people the member does
    not follow and shares from accounts whose shares they turned off, as fan-out does."""
    start = datetime.combine(
        since - timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO feeds_timelineentry (owner_id, post_id, author_id)"
            " SELECT %s, p.id, p.author_id FROM graph_follow f"
            " JOIN accounts_user a ON a.id = f.followee_id AND NOT a.broadcast"
            " JOIN posts_post p ON p.author_id = f.followee_id"
            " WHERE f.follower_id = %s AND p.id > %s AND p.group_id IS NULL"
            " AND (p.reblog_of_id IS NULL OR f.show_reblogs)"
            " AND (p.in_reply_to_author_id IS NULL OR p.in_reply_to_author_id = p.author_id"
            " OR p.in_reply_to_author_id = f.follower_id OR EXISTS (SELECT 1 FROM graph_follow f2"
            " WHERE f2.follower_id = f.follower_id AND f2.followee_id = p.in_reply_to_author_id))"
            " ORDER BY p.id DESC LIMIT %s"
            " ON CONFLICT DO NOTHING",
            [
                owner_id,
                owner_id,
                id_for_time(start.timestamp()),
                settings.TOWNSQUARE["HOME_FEED_CAP"],
            ],
        )
        return cursor.rowcount
