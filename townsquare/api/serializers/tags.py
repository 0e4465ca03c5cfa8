"""The Tag entity, with its use over the last week (Mastodon's `history`) and whether the
viewer follows it: any number of tags in two queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core.ids import id_for_time
from townsquare.posts.models import HashtagFollow, Visibility
from townsquare.posts.queries import Viewer

HISTORY_DAYS = 7


def tag_url(name: str) -> str:
    return f"{settings.BASE_URL}/tags/{quote(name)}"


def _days(now: datetime) -> list[datetime]:
    """The starts (midnight UTC) of the last HISTORY_DAYS days, today first."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - timedelta(days=back) for back in range(HISTORY_DAYS)]


def histories(names: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    """For each hashtag: per day, today first, how many public posts used it and how many
    members wrote them (members who appear in search, as the trending lists count). One
    query: the days are id ranges (ids are time-ordered)."""
    days = _days(timezone.now())
    empty = {name: [_day(start, 0, 0) for start in days] for name in names}
    if not names:
        return empty
    bounds = [id_for_time(start.timestamp()) for start in days]
    upper = [2**63 - 1, *bounds[:-1]]
    columns = []
    params: list[Any] = []
    for low, high in zip(bounds, upper, strict=True):
        columns.append(
            "COUNT(CASE WHEN p.id >= %s AND p.id < %s THEN 1 END),"
            " COUNT(DISTINCT CASE WHEN p.id >= %s AND p.id < %s THEN p.author_id END)"
        )
        params += [low, high, low, high]
    placeholders = ", ".join(["%s"] * len(names))
    sql = (
        f"SELECT h.name, {', '.join(columns)} FROM posts_hashtag h"  # noqa: S608
        " JOIN posts_posthashtag ph ON ph.hashtag_id = h.id"
        " JOIN posts_post p ON p.id = ph.post_id"
        " JOIN accounts_user u ON u.id = p.author_id"
        f" WHERE h.name IN ({placeholders}) AND p.id >= %s AND p.visibility = %s"
        " AND p.group_id IS NULL AND u.is_active AND u.discoverable"
        " AND u.show_posts_to_visitors GROUP BY h.name"
    )
    params += [*names, bounds[-1], int(Visibility.PUBLIC)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for name, *counts in rows:
        empty[name] = [
            _day(start, counts[2 * index], counts[2 * index + 1])
            for index, start in enumerate(days)
        ]
    return empty


def _day(start: datetime, uses: int, accounts: int) -> dict[str, str]:
    return {
        "day": str(int(start.timestamp())),
        "uses": str(int(uses or 0)),
        "accounts": str(int(accounts or 0)),
    }


def followed_names(viewer: Viewer, names: Sequence[str]) -> set[str]:
    member = viewer if isinstance(viewer, User) and viewer.is_authenticated else None
    if member is None or not names:
        return set()
    return set(
        HashtagFollow.objects.filter(user=member, hashtag__name__in=list(names)).values_list(
            "hashtag__name", flat=True
        )
    )


def tags(viewer: Viewer, names: Sequence[str]) -> list[dict[str, Any]]:
    """Tag entities for `names` (lower-case), in their order; `following` for members."""
    member = viewer if isinstance(viewer, User) and viewer.is_authenticated else None
    history = histories(names)
    followed = followed_names(member, names)
    out = []
    for name in names:
        entity: dict[str, Any] = {
            "name": name,
            "url": tag_url(name),
            "history": history[name],
        }
        if member is not None:
            entity["following"] = name in followed
        out.append(entity)
    return out
