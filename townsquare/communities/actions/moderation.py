"""The write layer for running a group: its settings and cover, approving or declining posts
that wait for approval, pinning and removing posts, muting members, and deleting the group.
Each change is one transaction, checked against the actor's role in the group."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.accounts.queries import render_member_text
from townsquare.communities import queries
from townsquare.communities.actions.membership import _clean
from townsquare.communities.models import (
    Group,
    GroupPin,
    GroupPrivacy,
    Membership,
    MembershipState,
    Role,
)
from townsquare.communities.models.pin import MAX_PINS
from townsquare.core import ratelimit
from townsquare.events import actions as event_actions
from townsquare.media import actions as media_actions
from townsquare.media import images
from townsquare.notifications.actions import notify, withdraw
from townsquare.notifications.models import Kind
from townsquare.posts.actions import delete_post
from townsquare.posts.actions.held import release_held
from townsquare.posts.models import Post

# How long a moderator may mute a member for (the choices the group's members page offers).
MUTE_CHOICES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "28d": timedelta(days=28),
}

# A group may become more private, never less: members posted for the audience it had.
_MAY_BECOME = {
    GroupPrivacy.PUBLIC: {GroupPrivacy.PUBLIC, GroupPrivacy.PRIVATE, GroupPrivacy.SECRET},
    GroupPrivacy.PRIVATE: {GroupPrivacy.PRIVATE, GroupPrivacy.SECRET},
    GroupPrivacy.SECRET: {GroupPrivacy.SECRET},  # its members joined a group nobody finds
}


def _role(member: User, group: Group | int, *, lock: bool = False) -> int | None:
    """The member's role in the group, or None when they are not a member."""
    group_id = group if isinstance(group, int) else group.pk
    rows = Membership.objects.filter(
        group_id=group_id, member_id=member.pk, state=MembershipState.MEMBER
    )
    if lock:
        rows = rows.select_for_update()
    return rows.values_list("role", flat=True).first()


def _require(member: User, group: Group | int, role: int, what: str) -> None:
    mine = _role(member, group)
    if mine is None or mine < role:
        raise PermissionDenied(what)


def update_group(
    admin: User,
    group: Group,
    *,
    name: str,
    description: str,
    rules: str,
    privacy: int,
    approve_posts: bool,
    cover: IO[bytes] | None = None,
    remove_cover: bool = False,
) -> Group:
    """The group's admins (and owner) change its name, description, rules, privacy (only
    towards more private: public to private or secret, private to secret), whether new posts
    need approval, and its cover (1500x500)."""
    _require(admin, group, Role.ADMIN, _("Only the group's admins can change its settings."))
    name, _handle, description, rules = _clean(name, group.handle, description, rules)
    if privacy not in _MAY_BECOME[GroupPrivacy(group.privacy)]:
        raise ValidationError({"privacy": _("A group can become more private, never less.")})
    ratelimit.WRITES_PER_ACCOUNT.hit(str(admin.pk))
    new_cover = ""
    if cover is not None:
        try:
            new_cover = images.process_image(cover, images.HEADER)
        except ValidationError as exc:
            raise ValidationError({"cover": exc.messages}) from None
    old_cover = group.cover if (new_cover or remove_cover) else ""
    try:
        with transaction.atomic():
            group.name = name
            group.description = description
            group.description_html = render_member_text(description).html if description else ""
            group.rules = rules
            group.privacy = privacy
            group.approve_posts = approve_posts
            if new_cover or remove_cover:
                group.cover = new_cover
            group.save()
            if not approve_posts:  # what waits is published, unless its author may not post
                for post in Post.objects.filter(group=group, held=True).order_by("id"):
                    try:
                        release_held(post)
                    except ValidationError:
                        continue  # stays in the queue, for a moderator to decline
    except BaseException:
        if new_cover:
            images.delete_image(new_cover)
        raise
    if old_cover:
        transaction.on_commit(lambda: images.delete_image(old_cover))
    return group


def _held_post(moderator: User, post: Post) -> Post:
    if post.group_id is None or not post.held:
        raise ValidationError(_("That post is not waiting for approval."))
    _require(moderator, post.group_id, Role.MODERATOR, _("Only the group's moderators can."))
    return post


def approve_post(moderator: User, post: Post) -> Post:
    """A moderator approves a post waiting in the group's queue: it is published now (as a
    new post, at the top of feeds) to the group and its members' feeds, and its author is
    told. Refused when its author may no longer post in the group. Returns the published
    post."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(moderator.pk))
    with transaction.atomic():
        locked = Post.objects.select_for_update().filter(pk=post.pk).first()
        if locked is None:
            raise ValidationError(_("That post is not waiting for approval."))
        _held_post(moderator, locked)
        try:
            published = release_held(locked)
        except ValidationError:
            raise ValidationError(
                _(
                    "Its author can't post in the group now (they left, were banned or are "
                    "muted): decline it instead."
                )
            ) from None
        if published is None:
            raise ValidationError(_("That post is not waiting for approval."))
        notify(
            published.author_id,
            Kind.GROUP_POST_APPROVED,
            actor_id=moderator.pk,
            post_id=published.pk,
            group_id=published.group_id,
        )
    return published


def decline_post(moderator: User, post: Post) -> None:
    """A moderator declines a waiting post: it is deleted (its author keeps no copy)."""
    with transaction.atomic():
        locked = Post.objects.select_for_update().filter(pk=post.pk).first()
        if locked is None:
            raise ValidationError(_("That post is not waiting for approval."))
        _held_post(moderator, locked)
        delete_post(moderator, locked)


def remove_post(moderator: User, post: Post) -> None:
    """A group moderator removes a post (or reply) from the group: it is deleted."""
    if post.group_id is None:
        raise ValidationError(_("That post is not in a group."))
    _require(moderator, post.group_id, Role.MODERATOR, _("Only the group's moderators can."))
    delete_post(moderator, post)


def pin_post(moderator: User, post: Post) -> None:
    """Pin a published post (not a reply) to the top of its group; at most MAX_PINS."""
    if post.group_id is None or post.held or post.in_reply_to_id is not None:
        raise ValidationError(_("Only a group's published posts can be pinned."))
    _require(moderator, post.group_id, Role.MODERATOR, _("Only the group's moderators can pin."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(moderator.pk))
    with transaction.atomic():
        Group.objects.select_for_update().filter(pk=post.group_id).exists()
        pins = GroupPin.objects.filter(group_id=post.group_id)
        if pins.filter(post=post).exists():
            return
        if pins.count() >= MAX_PINS:
            raise ValidationError(
                _("A group can pin %(count)d posts; unpin one first.") % {"count": MAX_PINS}
            )
        GroupPin.objects.create(group_id=post.group_id, post=post, pinned_by=moderator)


def unpin_post(moderator: User, post: Post) -> None:
    if post.group_id is None:
        return
    _require(moderator, post.group_id, Role.MODERATOR, _("Only the group's moderators can unpin."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(moderator.pk))
    GroupPin.objects.filter(group_id=post.group_id, post=post).delete()


def mute_member(moderator: User, group: Group, member_id: int, duration: str) -> datetime:
    """A moderator mutes a member with a lower role for a while: they still read the group but
    cannot post, reply or have posts approved until then. Returns when it ends."""
    if duration not in MUTE_CHOICES:
        raise ValidationError({"duration": _("Choose how long.")})
    ratelimit.WRITES_PER_ACCOUNT.hit(str(moderator.pk))
    until = timezone.now() + MUTE_CHOICES[duration]
    with transaction.atomic():
        mine = _role(moderator, group)
        if mine is None or mine < Role.MODERATOR:
            raise PermissionDenied(_("Only the group's moderators can mute members."))
        target = queries.membership_by_id(group, member_id, lock=True)
        if target is None or target.state != MembershipState.MEMBER:
            raise ValidationError(_("That person is not a member."))
        if target.role >= mine:
            raise PermissionDenied(_("You can't mute someone whose role is not below yours."))
        Membership.objects.filter(pk=target.pk).update(muted_until=until)
    return until


def unmute_member(moderator: User, group: Group, member_id: int) -> None:
    _require(moderator, group, Role.MODERATOR, _("Only the group's moderators can unmute."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(moderator.pk))
    Membership.objects.filter(group=group, member_id=member_id).update(muted_until=None)


def delete_group(owner: User, group: Group, *, confirm_handle: str) -> int:
    """The owner deletes the group, typing its handle to confirm: every post and reply in it
    goes too (with their media), as do its events, memberships, pins and notifications.
    Returns how many posts were deleted. Open pages are not told: they drop the posts on their
    next load."""
    with transaction.atomic():
        if _role(owner, group, lock=True) != Role.OWNER:
            raise PermissionDenied(_("Only the group's owner can delete it."))
        if confirm_handle.strip().lstrip("@").lower() != group.handle.lower():
            raise ValidationError({"confirm": _("Type the group's handle to confirm.")})
        ratelimit.WRITES_PER_ACCOUNT.hit(str(owner.pk))
        post_ids = list(Post.objects.filter(group=group).values_list("pk", flat=True))
        media_actions.discard_for_posts(post_ids)
        withdraw(Kind.GROUP_INVITE, actor_id=None, group_id=group.pk)
        event_actions.discard_group_events(group)
        cover = group.cover
        Post.objects.filter(group=group).delete()
        Group.objects.filter(pk=group.pk).delete()
        if cover:
            transaction.on_commit(lambda: images.delete_image(cover))
    return len(post_ids)
