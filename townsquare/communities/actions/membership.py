"""The write layer for groups' membership: creating a group, joining (public), asking to join
(private), invitations (any group; the only way into a secret one), answering requests,
leaving, roles and bans. Each change is one transaction; a refused change raises
ValidationError saying why, and a group the member may not know of is Http404. The people
concerned are notified: moderators of a request, the invitee of an invitation, the member of
an accepted request."""

from __future__ import annotations

import re
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.accounts.queries import render_member_text
from townsquare.communities import queries
from townsquare.communities.models import (
    Group,
    GroupPrivacy,
    Membership,
    MembershipState,
    Role,
)
from townsquare.communities.models.group import (
    DESCRIPTION_MAX,
    HANDLE_MAX,
    NAME_MAX,
    RULES_MAX,
)
from townsquare.core import ratelimit, words
from townsquare.graph.queries import is_blocked_between
from townsquare.media import images
from townsquare.notifications.actions import notify, withdraw
from townsquare.notifications.models import Kind
from townsquare.posts.actions import delete_post
from townsquare.posts.models import Post

_HANDLE = re.compile(rf"^[A-Za-z0-9_]{{2,{HANDLE_MAX}}}$")

JOINED = "joined"
REQUESTED = "requested"


def _clean(name: str, handle: str, description: str, rules: str) -> tuple[str, str, str, str]:
    name = " ".join((name or "").split())
    handle = (handle or "").strip().lstrip("@")
    description = (description or "").replace("\r\n", "\n").strip()
    rules = (rules or "").replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the group a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Names are at most %(count)d characters.") % {"count": NAME_MAX}
    if not _HANDLE.match(handle):
        errors["handle"] = _("2 to %(count)d letters, digits and underscores.") % {
            "count": HANDLE_MAX
        }
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("At most %(count)s characters.") % {
            "count": words.number(DESCRIPTION_MAX)
        }
    if len(rules) > RULES_MAX:
        errors["rules"] = _("At most %(count)s characters.") % {"count": words.number(RULES_MAX)}
    if errors:
        raise ValidationError(errors)
    return name, handle, description, rules


def create_group(
    creator: User,
    *,
    name: str,
    handle: str,
    privacy: int = GroupPrivacy.PUBLIC,
    description: str = "",
    rules: str = "",
    cover: IO[bytes] | None = None,
) -> Group:
    """A new group, with its creator as owner, and its cover (1500x500) when given."""
    name, handle, description, rules = _clean(name, handle, description, rules)
    if privacy not in GroupPrivacy.values:
        raise ValidationError({"privacy": _("Choose public, private or secret.")})
    if not creator.is_active:
        raise PermissionDenied(_("This account cannot create groups."))
    ratelimit.GROUPS_PER_ACCOUNT.hit(str(creator.pk))
    if Group.objects.annotate(lower=Lower("handle")).filter(lower=handle.lower()).exists():
        raise ValidationError({"handle": _("That handle is taken.")})
    cover_path = ""
    if cover is not None:
        try:
            cover_path = images.process_image(cover, images.HEADER)
        except ValidationError as exc:
            raise ValidationError({"cover": exc.messages}) from None
    try:
        with transaction.atomic():
            group = Group.objects.create(
                cover=cover_path,
                name=name,
                handle=handle,
                privacy=privacy,
                description=description,
                description_html=render_member_text(description).html if description else "",
                rules=rules,
                created_by=creator,
            )
            Membership.objects.create(group=group, member=creator, role=Role.OWNER)
    except BaseException as exc:
        if cover_path:
            images.delete_image(cover_path)
        if isinstance(exc, IntegrityError):  # the same handle, taken at the same moment
            raise ValidationError({"handle": _("That handle is taken.")}) from None
        raise
    return group


def join(member: User, group: Group) -> str:
    """Join a public group, or a group one is invited to (JOINED); ask to join a private
    one (REQUESTED). A secret group cannot be asked into, and a banned member stays out."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        place = queries.membership(member, group, lock=True)
        if queries.is_read_only(group.pk) and (
            place is None or place.state != MembershipState.MEMBER
        ):
            raise queries.read_only_error()
        if place is not None and place.state == MembershipState.BANNED:
            raise ValidationError(_("You can't join this group."))
        if place is not None and place.state == MembershipState.MEMBER:
            return JOINED
        if place is not None and place.state == MembershipState.INVITED:
            Membership.objects.filter(pk=place.pk).update(state=MembershipState.MEMBER)
            withdraw(Kind.GROUP_INVITE, actor_id=None, recipient_id=member.pk, group_id=group.pk)
            return JOINED
        if place is not None and place.state == MembershipState.REQUESTED:
            return REQUESTED
        if group.privacy == GroupPrivacy.SECRET:
            raise queries.not_found()
        state = (
            MembershipState.MEMBER
            if group.privacy == GroupPrivacy.PUBLIC
            else MembershipState.REQUESTED
        )
        Membership.objects.create(group=group, member=member, state=state)
        if state == MembershipState.REQUESTED:
            for moderator_id in queries.moderator_ids(group):
                notify(moderator_id, Kind.GROUP_REQUEST, actor_id=member.pk, group_id=group.pk)
    return JOINED if state == MembershipState.MEMBER else REQUESTED


def leave(member: User, group: Group) -> None:
    """Leave a group (or withdraw a request, or decline an invitation). The owner hands the
    group over first; a ban is not lifted by leaving."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        place = queries.membership(member, group, lock=True)
        if place is None or place.state == MembershipState.BANNED:
            return
        if place.role == Role.OWNER and place.state == MembershipState.MEMBER:
            raise ValidationError(_("Hand the group over to another member before you leave."))
        if place.state == MembershipState.REQUESTED:
            withdraw(Kind.GROUP_REQUEST, actor_id=member.pk, group_id=group.pk)
        if place.state == MembershipState.INVITED:
            withdraw(Kind.GROUP_INVITE, actor_id=None, recipient_id=member.pk, group_id=group.pk)
        _drop_held_posts(member, group, member.pk)
        place.delete()


def invite(inviter: User, group: Group, invitee: User) -> None:
    """A member invites someone (who joins by accepting). Nothing changes for someone who is
    already in, asked already (then they are let in) or banned."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(inviter.pk))
    if inviter.pk == invitee.pk or not invitee.is_active:
        raise ValidationError(_("Choose someone else to invite."))
    if is_blocked_between(inviter.pk, invitee.pk):
        raise ValidationError(_("You can't invite %(name)s.") % {"name": invitee.username})
    with transaction.atomic():
        if not queries.is_member(inviter, group):
            raise queries.not_found()
        if queries.is_read_only(group.pk):
            raise queries.read_only_error()
        place = queries.membership(invitee, group, lock=True)
        if place is None:
            Membership.objects.create(
                group=group, member=invitee, state=MembershipState.INVITED, invited_by=inviter
            )
            notify(invitee.pk, Kind.GROUP_INVITE, actor_id=inviter.pk, group_id=group.pk)
        elif place.state == MembershipState.REQUESTED and queries.can_manage(inviter, group):
            _let_in(place, inviter)


def answer_request(manager: User, group: Group, member_id: int, *, accept: bool) -> None:
    """A moderator, admin or the owner lets someone who asked into the group, or declines."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(manager.pk))
    with transaction.atomic():
        if not queries.can_manage(manager, group):
            raise PermissionDenied(_("Only the group's moderators can answer requests."))
        place = (
            Membership.objects.select_for_update()
            .filter(group=group, member_id=member_id, state=MembershipState.REQUESTED)
            .first()
        )
        if place is None:
            raise ValidationError(_("That request is no longer waiting."))
        if accept and queries.is_read_only(group.pk):
            raise queries.read_only_error()
        if accept:
            _let_in(place, manager)
        else:
            place.delete()
            withdraw(Kind.GROUP_REQUEST, actor_id=place.member_id, group_id=group.pk)


def _let_in(place: Membership, manager: User) -> None:
    """A request to join accepted: the member is in and told; the moderators' notifications
    of the request go."""
    Membership.objects.filter(pk=place.pk).update(state=MembershipState.MEMBER)
    withdraw(Kind.GROUP_REQUEST, actor_id=place.member_id, group_id=place.group_id)
    notify(place.member_id, Kind.GROUP_ACCEPTED, actor_id=manager.pk, group_id=place.group_id)


def set_role(manager: User, group: Group, member_id: int, role: int) -> None:
    """The owner or an admin gives a member a role below their own (only the owner makes
    admins); handing over ownership is `transfer_ownership`."""
    if role not in (Role.MEMBER, Role.MODERATOR, Role.ADMIN):
        raise ValidationError(_("Choose member, moderator or admin."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(manager.pk))
    with transaction.atomic():
        mine = queries.membership(manager, group)
        target = queries.membership_by_id(group, member_id, lock=True)
        if target is None or target.state != MembershipState.MEMBER:
            raise ValidationError(_("That person is not a member."))
        allowed = (
            mine is not None
            and mine.state == MembershipState.MEMBER
            and (mine.role == Role.OWNER or (mine.role == Role.ADMIN and role < Role.ADMIN))
        )
        if not allowed or target.role >= (mine.role if mine else Role.MEMBER):
            raise PermissionDenied(_("You can't change this member's role."))
        Membership.objects.filter(pk=target.pk).update(role=role)


def transfer_ownership(owner: User, group: Group, member_id: int) -> None:
    """The owner hands the group to another member, and becomes an admin."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(owner.pk))
    with transaction.atomic():
        mine = queries.membership(owner, group, lock=True)
        if mine is None or mine.role != Role.OWNER or mine.state != MembershipState.MEMBER:
            raise PermissionDenied(_("Only the owner can hand the group over."))
        target = queries.membership_by_id(group, member_id, lock=True)
        if target is None or target.state != MembershipState.MEMBER or target.pk == mine.pk:
            raise ValidationError(_("Choose another member of the group."))
        Membership.objects.filter(pk=target.pk).update(role=Role.OWNER)
        Membership.objects.filter(pk=mine.pk).update(role=Role.ADMIN)


def ban(manager: User, group: Group, member_id: int) -> None:
    """A moderator (or above) bans someone from the group: they leave it, cannot ask or be
    invited back, and (unless the group is public) no longer see its posts. Only someone
    with a lower role can be banned; a ban of someone not in the group keeps them out."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(manager.pk))
    with transaction.atomic():
        mine = queries.membership(manager, group)
        if mine is None or mine.state != MembershipState.MEMBER or mine.role < Role.MODERATOR:
            raise PermissionDenied(_("Only the group's moderators can ban."))
        if member_id == manager.pk:
            raise ValidationError(_("You can't ban yourself."))
        target = queries.membership_by_id(group, member_id, lock=True)
        in_group = target is not None and target.state == MembershipState.MEMBER
        if in_group and target is not None and target.role >= mine.role:
            raise PermissionDenied(_("You can't ban someone whose role is not below yours."))
        if target is None:
            Membership.objects.create(
                group=group, member_id=member_id, state=MembershipState.BANNED
            )
        else:
            Membership.objects.filter(pk=target.pk).update(
                state=MembershipState.BANNED, role=Role.MEMBER
            )
        # Nothing of theirs waits any more: their held posts, requests and invitations go.
        _drop_held_posts(manager, group, member_id)
        withdraw(Kind.GROUP_REQUEST, actor_id=member_id, group_id=group.pk)
        withdraw(Kind.GROUP_INVITE, actor_id=None, recipient_id=member_id, group_id=group.pk)


def unban(manager: User, group: Group, member_id: int) -> None:
    """Lift a ban (the member may then join or ask again)."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(manager.pk))
    with transaction.atomic():
        if not queries.can_manage(manager, group):
            raise PermissionDenied(_("Only the group's moderators can lift a ban."))
        Membership.objects.filter(
            group=group, member_id=member_id, state=MembershipState.BANNED
        ).delete()


def _drop_held_posts(actor: User, group: Group, member_id: int) -> None:
    """The posts a member left waiting for approval in the group, deleted when they leave or
    are banned (inside the caller's transaction; `actor` is the member or the moderator)."""
    for post in Post.objects.filter(group=group, author_id=member_id, held=True):
        delete_post(actor, post)
