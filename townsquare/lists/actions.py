"""The write layer for lists: a member's own lists of people they follow."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.graph.models import Follow, FollowRequest
from townsquare.lists.models import ListMember, MemberList, RepliesPolicy

MAX_LISTS = 50  # per member, as Mastodon
MAX_TITLE_LENGTH = 200


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("Title can't be blank"))
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError(
            _("Title is too long (at most %(count)d characters)") % {"count": MAX_TITLE_LENGTH}
        )
    return title


def _clean_policy(policy: str) -> str:
    if policy not in RepliesPolicy.values:
        raise ValidationError(_("Replies policy is not included in the list"))
    return policy


def create_list(
    owner: User,
    *,
    title: str,
    replies_policy: str = RepliesPolicy.LIST,
    exclusive: bool = False,
) -> MemberList:
    title = _clean_title(title)
    policy = _clean_policy(replies_policy)
    with transaction.atomic():
        if MemberList.objects.filter(owner=owner).count() >= MAX_LISTS:
            raise ValidationError(_("You can have at most %(count)d lists") % {"count": MAX_LISTS})
        return MemberList.objects.create(
            owner=owner, title=title, replies_policy=policy, exclusive=bool(exclusive)
        )


def update_list(
    owner: User,
    member_list: MemberList,
    *,
    title: str | None = None,
    replies_policy: str | None = None,
    exclusive: bool | None = None,
) -> MemberList:
    if member_list.owner_id != owner.pk:
        raise Http404
    changed: list[str] = []
    if title is not None:
        member_list.title = _clean_title(title)
        changed.append("title")
    if replies_policy is not None:
        member_list.replies_policy = _clean_policy(replies_policy)
        changed.append("replies_policy")
    if exclusive is not None:
        member_list.exclusive = bool(exclusive)
        changed.append("exclusive")
    if changed:
        member_list.save(update_fields=changed)
    return member_list


def delete_list(owner: User, member_list: MemberList) -> None:
    if member_list.owner_id != owner.pk:
        raise Http404
    member_list.delete()


def add_members(owner: User, member_list: MemberList, account_ids: Sequence[int]) -> None:
    """Put accounts on a list. Each must be an active member the owner follows (or asked to
    follow): otherwise nothing is added and Http404 is raised, as Mastodon answers; one
    already on the list is a ValidationError."""
    if member_list.owner_id != owner.pk:
        raise Http404
    wanted = sorted(set(account_ids))
    if not wanted:
        return
    active = set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    followed = set(
        Follow.objects.filter(follower=owner, followee_id__in=wanted).values_list(
            "followee_id", flat=True
        )
    ) | set(
        FollowRequest.objects.filter(follower=owner, followee_id__in=wanted).values_list(
            "followee_id", flat=True
        )
    )
    if any(pk not in active or pk not in followed for pk in wanted):
        raise Http404
    with transaction.atomic():
        if ListMember.objects.filter(member_list=member_list, member_id__in=wanted).exists():
            raise ValidationError(_("Account has already been taken"))
        try:
            ListMember.objects.bulk_create(
                [ListMember(member_list=member_list, member_id=pk) for pk in wanted]
            )
        except IntegrityError:  # added at the same moment by another request
            raise ValidationError(_("Account has already been taken")) from None


def remove_members(owner: User, member_list: MemberList, account_ids: Sequence[int]) -> None:
    """Take accounts off a list (ones not on it are ignored)."""
    if member_list.owner_id != owner.pk:
        raise Http404
    ListMember.objects.filter(member_list=member_list, member_id__in=list(account_ids)).delete()


def forget_member(owner_id: int, member_id: int) -> None:
    """When `owner` stops following `member`, they leave every list of the owner's (as in
    Mastodon); for the graph actions to call when a follow ends."""
    ListMember.objects.filter(Q(member_list__owner_id=owner_id) & Q(member_id=member_id)).delete()
