"""Read-side queries for the social graph."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core.sql import id_in
from townsquare.graph.models import Block, Endorsement, Follow, FollowRequest, Mute


@dataclass(frozen=True)
class Relationship:
    following: bool = False  # viewer follows the member
    requested: bool = False  # viewer asked to follow and waits for approval
    followed_by: bool = False  # the member follows the viewer
    blocking: bool = False  # viewer blocked the member
    blocked_by: bool = False  # the member blocked the viewer
    muting: bool = False  # viewer muted the member
    showing_reblogs: bool = False  # the member's shares reach the viewer's home (or will)
    notifying: bool = False  # the viewer is told of each of the member's new posts
    requested_by: bool = False  # the member asked to follow the viewer
    muting_notifications: bool = False  # the viewer's mute hides notifications too
    endorsed: bool = False  # the viewer features the member on their profile
    note: str = ""  # the viewer's private note about the member


def relationship(viewer: User | None, other: User) -> Relationship:
    if viewer is None or not viewer.is_authenticated or viewer.pk == other.pk:
        return Relationship()
    return relationships(viewer.pk, [other.pk])[other.pk]


# One row per fact between the viewer (%s) and the others: (kind, other id, flag, flag, text).
_FACTS = (
    "SELECT 1, followee_id, CASE WHEN show_reblogs THEN 1 ELSE 0 END,"
    " CASE WHEN notify THEN 1 ELSE 0 END, NULL"
    " FROM graph_follow WHERE follower_id = %s AND {followee}"
    " UNION ALL SELECT 2, follower_id, 0, 0, NULL"
    " FROM graph_follow WHERE followee_id = %s AND {follower}"
    " UNION ALL SELECT 3, followee_id, CASE WHEN show_reblogs THEN 1 ELSE 0 END,"
    " CASE WHEN notify THEN 1 ELSE 0 END, NULL"
    " FROM graph_followrequest WHERE follower_id = %s AND {followee}"
    " UNION ALL SELECT 4, follower_id, 0, 0, NULL"
    " FROM graph_followrequest WHERE followee_id = %s AND {follower}"
    " UNION ALL SELECT 5, blocked_id, 0, 0, NULL FROM graph_block WHERE blocker_id = %s"
    " AND {blocked}"
    " UNION ALL SELECT 6, blocker_id, 0, 0, NULL FROM graph_block WHERE blocked_id = %s"
    " AND {blocker}"
    " UNION ALL SELECT 7, muted_id, CASE WHEN hide_notifications THEN 1 ELSE 0 END, 0, NULL"
    " FROM graph_mute WHERE muter_id = %s AND {muted}"
    " AND (expires_at IS NULL OR expires_at > %s)"
    " UNION ALL SELECT 8, endorsed_id, 0, 0, NULL FROM graph_endorsement WHERE member_id = %s"
    " AND {endorsed}"
    " UNION ALL SELECT 9, target_id, 0, 0, comment FROM graph_accountnote WHERE author_id = %s"
    " AND {target}"
)


def relationships(viewer_id: int, other_ids: Sequence[int]) -> dict[int, Relationship]:
    """How `viewer` stands with each of `other_ids` (every id gets an entry), in one query."""
    wanted = sorted(set(other_ids))
    if not wanted:
        return {}
    facts: dict[int, dict[str, Any]] = {other: {} for other in wanted}
    columns = ("followee", "follower", "blocked", "blocker", "muted", "endorsed", "target")
    conditions = {name: id_in(f"{name}_id", wanted) for name in columns}
    sql = _FACTS.format(**{name: cond[0] for name, cond in conditions.items()})
    params: list[Any] = []
    for name in ("followee", "follower", "followee", "follower", "blocked", "blocker", "muted"):
        params += [viewer_id, *conditions[name][1]]
    params.append(timezone.now())
    for name in ("endorsed", "target"):
        params += [viewer_id, *conditions[name][1]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for kind, other, first, second, text in rows:
        found = facts.setdefault(other, {})
        if kind == 1:
            found.update(following=True, showing_reblogs=bool(first), notifying=bool(second))
        elif kind == 2:
            found["followed_by"] = True
        elif kind == 3:
            found.setdefault("showing_reblogs", bool(first))
            found.setdefault("notifying", bool(second))
            found["requested"] = True
        elif kind == 4:
            found["requested_by"] = True
        elif kind == 5:
            found["blocking"] = True
        elif kind == 6:
            found["blocked_by"] = True
        elif kind == 7:
            found.update(muting=True, muting_notifications=bool(first))
        elif kind == 8:
            found["endorsed"] = True
        elif kind == 9:
            found["note"] = text
    out: dict[int, Relationship] = {}
    for other, found in facts.items():
        if found.get("following"):  # a stale request beside a follow is not "requested"
            found["requested"] = False
        out[other] = Relationship(**found)
    return out


def is_blocked_between(first_id: int, second_id: int) -> bool:
    """Whether either member blocked the other."""
    return Block.objects.filter(
        Q(blocker_id=first_id, blocked_id=second_id) | Q(blocker_id=second_id, blocked_id=first_id)
    ).exists()


def active_mutes(muter_id: int) -> QuerySet[Mute]:
    """`muter`'s mutes that have not expired."""
    return Mute.objects.filter(muter_id=muter_id).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def silenced_ids(member_id: int, *, notifications: bool = False) -> set[int]:
    """Members whose posts (or, with `notifications`, notifications) `member` does not want:
    the ones they blocked, who blocked them, or whom they muted."""
    blocked = Block.objects.filter(Q(blocker_id=member_id) | Q(blocked_id=member_id))
    ids = {
        other
        for pair in blocked.values_list("blocker_id", "blocked_id")
        for other in pair
        if other != member_id
    }
    mutes = active_mutes(member_id)
    if notifications:
        mutes = mutes.filter(hide_notifications=True)
    ids.update(mutes.values_list("muted_id", flat=True))
    return ids


def blocked_either_way(member_id: int, author_field: str) -> Q:
    """Rows whose member (at `author_field`) blocked `member` or was blocked by them."""
    return Q(
        Exists(Block.objects.filter(blocker_id=member_id, blocked_id=OuterRef(author_field)))
    ) | Q(Exists(Block.objects.filter(blocked_id=member_id, blocker_id=OuterRef(author_field))))


def silencing(member_id: int, author_field: str, *, notifications: bool = False) -> Q:
    """The same members as `silenced_ids`, as a condition on the member id in `author_field`
    of the rows being filtered (a subquery, so the caller makes one query)."""
    now = timezone.now()
    mutes = Mute.objects.filter(muter_id=member_id, muted_id=OuterRef(author_field)).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if notifications:
        mutes = mutes.filter(hide_notifications=True)
    return blocked_either_way(member_id, author_field) | Q(Exists(mutes))


def blocked_list(user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user).select_related("blocked").order_by("-id")


def muted_list(user: User) -> QuerySet[Mute]:
    return active_mutes(user.pk).select_related("muted").order_by("-id")


def followers_of(user: User) -> QuerySet[Follow]:
    """Accepted follows of `user`, newest first (paginate by Follow id)."""
    return (
        Follow.objects.filter(followee=user, follower__is_active=True)
        .select_related("follower")
        .order_by("-id")
    )


def following_of(user: User) -> QuerySet[Follow]:
    return (
        Follow.objects.filter(follower=user, followee__is_active=True)
        .select_related("followee")
        .order_by("-id")
    )


FEATURED_SHOWN = 12  # featured members shown on a profile


def featured_rows(member_id: int, viewer_id: int | None = None) -> QuerySet[Endorsement]:
    """The endorsements of the active members `member` features on their profile, without
    anyone blocked either way with the viewer (if any)."""
    rows = Endorsement.objects.filter(member_id=member_id, endorsed__is_active=True)
    if viewer_id is not None:
        rows = rows.exclude(blocked_either_way(viewer_id, "endorsed_id"))
    return rows


def featured_by(member: User, viewer: User | AnonymousUser | None) -> list[User]:
    """The members `member` features on their profile, most recently featured first, as
    `viewer` sees them (see `featured_rows`). They are some of whom the member follows, so
    nobody the member keeps that list from sees them."""
    from townsquare.accounts.models import ConnectionsVisibility

    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    hidden = member.connections_visibility != ConnectionsVisibility.EVERYONE
    if hidden and not connections_shown_to(viewer, member):
        return []
    from townsquare.accounts.queries import listed_people

    found = featured_rows(member.pk, viewer_id).filter(listed_people(viewer, "endorsed__"))
    found = found.select_related("endorsed").order_by("-id")
    if viewer_id is not None and viewer_id != member.pk:
        # Not to someone the member blocked (in the same statement: profiles count queries).
        found = found.exclude(
            Exists(Block.objects.filter(blocker_id=member.pk, blocked_id=viewer_id))
        )
    return [row.endorsed for row in found[:FEATURED_SHOWN]]


def pending_requests(user: User) -> QuerySet[FollowRequest]:
    return FollowRequest.objects.filter(followee=user).select_related("follower").order_by("-id")


def counts(user: User, *, friends: bool = False) -> dict[str, int]:
    """The profile's numbers (with `friends`, the mutual follows too: friends mode)."""
    found = {
        "followers": Follow.objects.filter(followee=user, follower__is_active=True).count(),
        "following": Follow.objects.filter(follower=user, followee__is_active=True).count(),
    }
    if friends:
        found["friends"] = friends_of(user).count()
    return found


def friends_of(user: User) -> QuerySet[Follow]:
    """Friends mode: the member's follows that are returned (a friendship is a follow each
    way), newest first, as Follow rows from the member to each friend."""
    returned = Follow.objects.filter(follower_id=OuterRef("followee_id"), followee_id=user.pk)
    return (
        Follow.objects.filter(follower=user, followee__is_active=True)
        .filter(Exists(returned))
        .select_related("followee")
        .order_by("-id")
    )


def _list_viewer(viewer: User | AnonymousUser | None, member: User) -> int | None | bool:
    """The viewer's id for a member's lists, or the answer itself: True for the member, False
    for someone the member blocks."""
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    if viewer_id == member.pk:
        return True
    if (
        viewer_id is not None
        and Block.objects.filter(blocker_id=member.pk, blocked_id=viewer_id).exists()
    ):
        return False
    return viewer_id


def friends_shown_to(viewer: User | AnonymousUser | None, member: User) -> bool:
    """Whether `viewer` may see the member's friends list (friends mode): the member's choice
    (everyone, their friends, only themselves), and never someone they block."""
    from townsquare.accounts.models import FriendsVisibility

    viewer_id = _list_viewer(viewer, member)
    if isinstance(viewer_id, bool):
        return viewer_id
    if member.friends_visibility == FriendsVisibility.EVERYONE:
        return True
    if member.friends_visibility == FriendsVisibility.FRIENDS and viewer_id is not None:
        both = Follow.objects.filter(
            Q(follower_id=viewer_id, followee_id=member.pk)
            | Q(follower_id=member.pk, followee_id=viewer_id)
        )
        return both.count() == 2
    return False


def connections_shown_to(viewer: User | AnonymousUser | None, member: User) -> bool:
    """Whether `viewer` may see whom `member` follows and who follows them: the member's
    choice (everyone, their followers, only themselves), and never someone they block."""
    from townsquare.accounts.models import ConnectionsVisibility

    viewer_id = _list_viewer(viewer, member)
    if isinstance(viewer_id, bool):
        return viewer_id
    if member.connections_visibility == ConnectionsVisibility.EVERYONE:
        return True
    if member.connections_visibility == ConnectionsVisibility.FOLLOWERS:
        return (
            viewer_id is not None
            and Follow.objects.filter(follower_id=viewer_id, followee_id=member.pk).exists()
        )
    return False
