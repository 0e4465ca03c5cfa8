"""Read-side queries for lists: a member's lists, who is on them, and a list's timeline."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from townsquare.accounts.models import User
from townsquare.core.pagination import cursor_values
from townsquare.graph.models import Follow, FollowRequest
from townsquare.lists.models import ListMember, MemberList, RepliesPolicy
from townsquare.posts.queries import ListedPost, list_posts


def not_excluded_from_home_sql(owner_column: str, author_column: str) -> str:
    """SQL true when the author at `author_column` is on none of the exclusive lists of the
    member at `owner_column` (whose posts then show in that list only, not in home). That
    member is also the one %s: the guard (they have no exclusive list at all) is evaluated
    once per statement, and spares most members the per-row probe."""
    return (
        "(NOT EXISTS (SELECT 1 FROM lists_memberlist WHERE owner_id = %s AND exclusive)"  # noqa: S608
        " OR NOT EXISTS (SELECT 1 FROM lists_memberlist xl JOIN lists_listmember xm"
        f" ON xm.member_list_id = xl.id WHERE xl.owner_id = {owner_column} AND xl.exclusive"
        f" AND xm.member_id = {author_column}))"
    )


def owners_excluding(author_id: int, owner_ids: list[int]) -> set[int]:
    """Which of `owner_ids` have `author_id` on an exclusive list (one query)."""
    if not owner_ids:
        return set()
    return set(
        ListMember.objects.filter(
            member_id=author_id, member_list__exclusive=True, member_list__owner_id__in=owner_ids
        ).values_list("member_list__owner_id", flat=True)
    )


def lists_of(owner: User) -> QuerySet[MemberList]:
    return MemberList.objects.filter(owner=owner).order_by("id")


def get_list(owner: User, list_id: int) -> MemberList | None:
    """The list, when `owner` owns it (nobody else sees a list)."""
    return MemberList.objects.filter(pk=list_id, owner=owner).first()


def lists_with(owner: User, account_id: int) -> QuerySet[MemberList]:
    """The owner's lists that `account_id` is on."""
    return lists_of(owner).filter(members__member_id=account_id).distinct()


def _still_followed(owner_id: int) -> Q:
    """List rows whose member the owner still follows (or has asked to follow): a follow that
    ended takes its member off the owner's lists."""
    follows = Follow.objects.filter(follower_id=owner_id, followee_id=OuterRef("member_id"))
    asked = FollowRequest.objects.filter(follower_id=owner_id, followee_id=OuterRef("member_id"))
    return Q(Exists(follows)) | Q(Exists(asked))


def member_rows(
    member_list: MemberList,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int | None = 40,
) -> list[tuple[int, int]]:
    """(row id, member id) of the people on a list, newest addition first; `limit=None`
    gives all of them. The cursors are row ids, as Mastodon pages list accounts."""
    rows = ListMember.objects.filter(member_list=member_list, member__is_active=True).filter(
        _still_followed(member_list.owner_id)
    )
    found = cursor_values(
        rows, ("id", "member_id"), max_id=max_id, since_id=since_id, min_id=min_id, limit=limit
    )
    return [(row_id, member_id) for row_id, member_id in found]


def list_timeline(
    owner: User,
    member_list: MemberList,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
) -> list[ListedPost]:
    """Posts (and shares) by the list's members that the owner follows and may see, newest
    first, with replies kept as the list's `replies_policy` says: replies to the owner and a
    member's answers to themselves always; to the list's members (`list`), to anyone the owner
    follows (`followed`), or no other replies (`none`)."""
    members = (
        "SELECT lm.member_id FROM lists_listmember lm WHERE lm.member_list_id = %s"
        " AND lm.member_id IN (SELECT f.followee_id FROM graph_follow f WHERE f.follower_id = %s)"
    )
    where = f"p.author_id IN ({members})"
    params: list[int] = [member_list.pk, owner.pk]
    replies = (
        " AND (p.in_reply_to_author_id IS NULL OR p.in_reply_to_author_id = p.author_id"
        " OR p.in_reply_to_author_id = %s"
    )
    params.append(owner.pk)
    if member_list.replies_policy == RepliesPolicy.LIST:
        replies += f" OR p.in_reply_to_author_id IN ({members})"
        params += [member_list.pk, owner.pk]
    elif member_list.replies_policy == RepliesPolicy.FOLLOWED:
        replies += (
            " OR p.in_reply_to_author_id IN"
            " (SELECT f2.followee_id FROM graph_follow f2 WHERE f2.follower_id = %s)"
        )
        params.append(owner.pk)
    where += replies + ")"
    return list_posts(
        owner,
        where=where,
        params=params,
        max_id=max_id,
        since_id=since_id,
        min_id=min_id,
        limit=limit,
    )
