"""Reading groups: who may know a group exists, who is in it, and who runs it. A secret group
is unknown (Http404) to everyone but its members and the people invited to it."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.communities.models import (
    Group,
    GroupPrivacy,
    Membership,
    MembershipState,
    PageRole,
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


def is_read_only(group_id: int) -> bool:
    """Whether the site's moderators froze or suspended the group (moderation.group_enforcement):
    then nobody posts, replies or joins (read from the database, not a possibly stale row)."""
    now = timezone.now()
    return (
        Group.objects.filter(pk=group_id)
        .filter(Q(frozen_until__gt=now) | Q(suspended_until__gt=now))
        .exists()
    )


def read_only_error() -> ValidationError:
    return ValidationError(
        _("The site's moderators made this group read-only: nobody can post or join for now.")
    )


def can_manage(viewer: Viewer, group: Group) -> bool:
    """A moderator, an admin or the owner."""
    place = membership(viewer, group)
    return (
        place is not None and place.state == MembershipState.MEMBER and place.role >= Role.MODERATOR
    )


def can_manage_group_id(member: User, group_id: int) -> bool:
    return Membership.objects.filter(
        group_id=group_id,
        member_id=member.pk,
        state=MembershipState.MEMBER,
        role__gte=Role.MODERATOR,
    ).exists()


def outranks(member: User, group_id: int, other_id: int) -> bool:
    """Whether `member` moderates the group and `other` is below them there (or not a
    member at all): who may remove the other's posts in it."""
    roles = dict(
        Membership.objects.filter(
            group_id=group_id, member_id__in=[member.pk, other_id], state=MembershipState.MEMBER
        ).values_list("member_id", "role")
    )
    mine = roles.get(member.pk)
    return mine is not None and mine >= Role.MODERATOR and roles.get(other_id, -1) < mine


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


def moderator_ids(group: Group) -> list[int]:
    """The members who answer requests and approve posts: moderators, admins, the owner."""
    return moderator_ids_of(group.pk)


def moderator_ids_of(group_id: int) -> list[int]:
    return list(
        Membership.objects.filter(
            group_id=group_id, state=MembershipState.MEMBER, role__gte=Role.MODERATOR
        ).values_list("member_id", flat=True)
    )


def posting_place(member: User, group_id: int) -> Membership | None:
    """The member's membership (with its group) when they are a member, for posting."""
    return (
        Membership.objects.select_related("group")
        .filter(group_id=group_id, member_id=member.pk, state=MembershipState.MEMBER)
        .first()
    )


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
    """Groups anyone may find (public and private), by name: not those the site's moderators
    limited or suspended (moderation.group_enforcement)."""
    now = timezone.now()
    return list(
        Group.objects.exclude(privacy=GroupPrivacy.SECRET)
        .exclude(limited_until__gt=now)
        .exclude(suspended_until__gt=now)
        .order_by(Lower("name"))[:limit]
    )


# --- pages -----------------------------------------------------------------------------


def page_role(member: Viewer, page: User) -> int | None:
    """The member's role on the page's team (a PageRoleKind), or None."""
    member_id = _member_id(member)
    if member_id is None or not page.is_page:
        return None
    return (
        PageRole.objects.filter(page_id=page.pk, member_id=member_id)
        .values_list("role", flat=True)
        .first()
    )


def pages_run_by(member: Viewer) -> list[User]:
    """The active pages on whose team the member is, by name."""
    member_id = _member_id(member)
    if member_id is None:
        return []
    ids = PageRole.objects.filter(member_id=member_id).values("page_id")
    return list(
        User.objects.filter(pk__in=ids, is_page=True, is_active=True).order_by(
            Lower("display_name"), Lower("username")
        )
    )


def team(page: User) -> list[PageRole]:
    """The page's team, admins first."""
    return list(
        PageRole.objects.filter(page_id=page.pk, member__is_active=True)
        .select_related("member")
        .order_by("-role", "created_at")
    )


def page_directory(*, limit: int = 100) -> list[User]:
    """Pages anyone may find, by name."""
    return list(
        User.objects.filter(is_page=True, is_active=True).order_by(
            Lower("display_name"), Lower("username")
        )[:limit]
    )


def page_by_handle(handle: str) -> User:
    page = User.objects.filter(username__iexact=handle, is_page=True, is_active=True).first()
    if page is None:
        raise Http404("No such page.")
    return page
