"""Groups through the write layer (communities.actions) and communities.queries: creating,
the three privacy levels and the ways in (join, ask, invitation), answering requests,
leaving, bans, roles and handing the group over; who may know a group exists and read it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tests.factories import make_user
from townsquare.accounts.models import User
from townsquare.communities import actions, queries
from townsquare.communities.models import (
    Group,
    GroupPrivacy,
    Membership,
    MembershipState,
    Role,
)
from townsquare.graph import actions as graph

pytestmark = pytest.mark.django_db


def _group(owner: User, privacy: int = GroupPrivacy.PUBLIC, handle: str = "allotments") -> Group:
    return actions.create_group(
        owner, name="Riverside Allotments", handle=handle, privacy=privacy, description="Plots"
    )


def _state(member: User, group: Group) -> int | None:
    place = queries.membership(member, group)
    return None if place is None else place.state


def test_the_creator_owns_the_group_and_handles_are_unique_in_any_case() -> None:
    ana = make_user("ana")
    group = _group(ana)
    assert queries.membership(ana, group).role == Role.OWNER  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="taken"):
        _group(make_user("sam"), handle="ALLOTMENTS")
    with pytest.raises(ValidationError) as bad:
        actions.create_group(ana, name=" ", handle="a b", privacy=7)
    assert set(bad.value.message_dict) == {"name", "handle"}
    assert Group.objects.count() == 1


def test_a_public_group_anyone_joins_and_reads() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    group = _group(ana)
    assert queries.can_see_posts(None, group) and queries.can_know(None, group)
    assert actions.join(sam, group) == actions.JOINED
    assert _state(sam, group) == MembershipState.MEMBER
    assert [m.member.username for m in queries.members(group)] == ["ana", "sam"]
    actions.leave(sam, group)
    assert _state(sam, group) is None


def test_a_private_group_is_found_by_anyone_but_read_by_members_let_in() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    group = _group(ana, GroupPrivacy.PRIVATE)
    assert queries.can_know(sam, group) and not queries.can_see_posts(sam, group)
    assert actions.join(sam, group) == actions.REQUESTED
    assert not queries.can_see_posts(sam, group)
    with pytest.raises(PermissionDenied):
        actions.answer_request(kit, group, sam.pk, accept=True)  # not a moderator
    actions.answer_request(ana, group, sam.pk, accept=True)
    assert queries.can_see_posts(sam, group)
    assert actions.join(kit, group) == actions.REQUESTED
    actions.answer_request(ana, group, kit.pk, accept=False)
    assert _state(kit, group) is None
    with pytest.raises(ValidationError, match="no longer waiting"):
        actions.answer_request(ana, group, kit.pk, accept=True)


def test_a_secret_group_is_unknown_except_to_members_and_invitees() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    group = _group(ana, GroupPrivacy.SECRET)
    for outsider in (sam, None):
        assert not queries.can_know(outsider, group)
        with pytest.raises(Http404):
            queries.group_by_handle(outsider, "allotments")
    with pytest.raises(Http404):
        actions.join(sam, group)  # cannot even ask
    assert [g.handle for g in queries.directory(sam)] == []
    actions.invite(ana, group, sam)
    assert queries.can_know(sam, group) and not queries.can_see_posts(sam, group)
    assert queries.group_by_handle(sam, "Allotments") == group
    assert actions.join(sam, group) == actions.JOINED
    assert queries.can_see_posts(sam, group)
    with pytest.raises(Http404):
        actions.invite(kit, group, sam)  # only members invite


def test_invitations_respect_blocks_and_declining_removes_them() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    group = _group(ana, GroupPrivacy.PRIVATE)
    graph.block(sam, ana)
    with pytest.raises(ValidationError, match="can't invite"):
        actions.invite(ana, group, sam)
    kit = make_user("kit")
    actions.invite(ana, group, kit)
    actions.leave(kit, group)  # declining
    assert _state(kit, group) is None


def test_a_banned_member_stays_out() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    group = _group(ana)
    Membership.objects.create(group=group, member=sam, state=MembershipState.BANNED)
    with pytest.raises(ValidationError, match="can't join"):
        actions.join(sam, group)
    actions.leave(sam, group)  # leaving does not lift a ban
    assert _state(sam, group) == MembershipState.BANNED


def test_roles_and_handing_the_group_over() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    group = _group(ana)
    actions.join(sam, group)
    actions.join(kit, group)
    with pytest.raises(ValidationError, match="Hand the group over"):
        actions.leave(ana, group)
    actions.set_role(ana, group, sam.pk, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        actions.set_role(sam, group, kit.pk, Role.ADMIN)  # only the owner makes admins
    actions.set_role(sam, group, kit.pk, Role.MODERATOR)
    assert queries.can_manage(kit, group)
    with pytest.raises(PermissionDenied):
        actions.set_role(kit, group, sam.pk, Role.MEMBER)  # not above an admin
    with pytest.raises(PermissionDenied):
        actions.transfer_ownership(sam, group, kit.pk)
    actions.transfer_ownership(ana, group, sam.pk)
    assert queries.membership(sam, group).role == Role.OWNER  # type: ignore[union-attr]
    assert queries.membership(ana, group).role == Role.ADMIN  # type: ignore[union-attr]
    actions.leave(ana, group)
    assert [m.member.username for m in queries.members(group)] == ["sam", "kit"]


def test_moderators_ban_members_below_them_and_lift_bans() -> None:
    ana, sam, kit, lee = (make_user(n) for n in ("ana", "sam", "kit", "lee"))
    group = _group(ana, GroupPrivacy.PRIVATE)
    for person in (sam, kit):
        actions.invite(ana, group, person)
        actions.join(person, group)
    actions.set_role(ana, group, sam.pk, Role.MODERATOR)
    with pytest.raises(PermissionDenied):
        actions.ban(kit, group, sam.pk)  # a member bans nobody
    with pytest.raises(PermissionDenied):
        actions.ban(sam, group, ana.pk)  # not the owner
    actions.ban(sam, group, kit.pk)
    assert _state(kit, group) == MembershipState.BANNED
    assert not queries.can_see_posts(kit, group)
    with pytest.raises(ValidationError, match="can't join"):
        actions.join(kit, group)
    actions.ban(sam, group, lee.pk)  # someone not in the group is kept out too
    actions.invite(ana, group, lee)  # an invitation changes nothing for them
    assert _state(lee, group) == MembershipState.BANNED
    actions.unban(sam, group, kit.pk)
    assert _state(kit, group) is None
    assert actions.join(kit, group) == actions.REQUESTED
