"""Reading groups: who may know a group exists, who is in it, and who runs it. A secret group
is unknown (Http404) to everyone but its members and the people invited to it."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models.functions import Lower
from django.http import Http404

from townsquare.accounts.models import User
from townsquare.communities.models import (
    Group,
    GroupPrivacy,
    Membership,
    MembershipState,
    Role,
)

Viewer = User | AnonymousUser | None


def _member_id(viewer: Viewer) -> int | None:
    return viewer.pk if viewer is not None and viewer.is_authenticated else None


def not_found() -> Http404:
    return Http404("No such group.")


def membership(viewer: Viewer, group: Group, *, lock: bool = False) -> Membership | None:
    member_id = _member_id(viewer)
    if member_id is None:
        return None
    rows = Membership.objects.filter(group=group, member_id=member_id)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def membership_by_id(group: Group, member_id: int, *, lock: bool = False) -> Membership | None:
    rows = Membership.objects.filter(group=group, member_id=member_id)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def is_member(viewer: Viewer, group: Group) -> bool:
    place = membership(viewer, group)
    return place is not None and place.state == MembershipState.MEMBER


def is_member_of(member: User, group_id: int) -> bool:
    return Membership.objects.filter(
        group_id=group_id, member_id=member.pk, state=MembershipState.MEMBER
    ).exists()


def is_public_group(group_id: int) -> bool:
    return Group.objects.filter(pk=group_id, privacy=GroupPrivacy.PUBLIC).exists()


def can_manage(viewer: Viewer, group: Group) -> bool:
    """A moderator, an admin or the owner."""
    place = membership(viewer, group)
    return (
        place is not None and place.state == MembershipState.MEMBER and place.role >= Role.MODERATOR
    )


def can_know(viewer: Viewer, group: Group) -> bool:
    """Whether the viewer may learn that the group exists (its page, its name)."""
    if group.privacy != GroupPrivacy.SECRET:
        return True
    place = membership(viewer, group)
    return place is not None and place.state in (MembershipState.MEMBER, MembershipState.INVITED)


def can_see_posts(viewer: Viewer, group: Group) -> bool:
    """Whether the viewer may read the group's posts and member list: anyone for a public
    group (a banned member included: the posts are public), members only otherwise."""
    return group.privacy == GroupPrivacy.PUBLIC or is_member(viewer, group)


def group_by_handle(viewer: Viewer, handle: str) -> Group:
    """The group with this handle, as the viewer may know it (Http404 otherwise)."""
    found = Group.objects.annotate(lower=Lower("handle")).filter(lower=handle.lower()).first()
    if found is None or not can_know(viewer, found):
        raise not_found()
    return found


def members(group: Group, *, limit: int = 200) -> list[Membership]:
    """The members, the owner and admins first."""
    return list(
        Membership.objects.filter(group=group, state=MembershipState.MEMBER)
        .select_related("member")
        .filter(member__is_active=True)
        .order_by("-role", "created_at")[:limit]
    )


def member_count(group: Group) -> int:
    return Membership.objects.filter(
        group=group, state=MembershipState.MEMBER, member__is_active=True
    ).count()


def waiting(group: Group) -> list[Membership]:
    """Requests to join, oldest first."""
    return list(
        Membership.objects.filter(group=group, state=MembershipState.REQUESTED)
        .select_related("member")
        .order_by("created_at")
    )


def banned(group: Group) -> list[Membership]:
    return list(
        Membership.objects.filter(group=group, state=MembershipState.BANNED)
        .select_related("member")
        .order_by("-created_at")
    )


def groups_of(member: User) -> list[Group]:
    ids = Membership.objects.filter(member=member, state=MembershipState.MEMBER).values("group_id")
    return list(Group.objects.filter(pk__in=ids).order_by(Lower("name")))


def directory(viewer: Viewer, *, limit: int = 100) -> list[Group]:
    """Groups anyone may find (public and private), by name."""
    return list(Group.objects.exclude(privacy=GroupPrivacy.SECRET).order_by(Lower("name"))[:limit])
