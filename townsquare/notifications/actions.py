"""The write layer for notifications: every part of the site tells members here."""

from __future__ import annotations

from collections.abc import Iterable
from time import time

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext

from townsquare.accounts.models import User
from townsquare.core import ratelimit
from townsquare.core.ids import id_for_time
from townsquare.graph.queries import silenced_ids
from townsquare.notifications import emails
from townsquare.notifications.models import (
    Delivery,
    Kind,
    Notification,
    NotificationPreferences,
    ThreadMute,
)
from townsquare.posts.models import Post
from townsquare.realtime import publish as realtime

# Kinds where one actor does the thing to one post at most once: doing it again (say, like,
# unlike, like) does not notify again.
_ONCE = {
    Kind.LIKE,
    Kind.SHARE,
    Kind.FOLLOW,
    Kind.FOLLOW_REQUEST,
    Kind.POLL,
    Kind.STATUS,
    Kind.GROUP_REQUEST,
    Kind.GROUP_INVITE,
    Kind.GROUP_ACCEPTED,
    Kind.GROUP_POST_APPROVED,
}
MAX_MARKED = 200  # notifications marked read by id in one request


def notify(
    recipient_id: int,
    kind: Kind,
    *,
    actor_id: int | None = None,
    post_id: int | None = None,
    group_id: int | None = None,
    event_id: int | None = None,
) -> Notification | None:
    """Tell `recipient` that `actor` did `kind` (to `post`, in `group`, about `event`). Call it inside the action's
    transaction. Nothing is written for oneself, for an inactive recipient, or from someone
    blocked either way or muted with their notifications. Queues the email the recipient's
    preferences ask for (now, or in their digest)."""
    if actor_id is not None:
        if actor_id == recipient_id:
            return None
        if actor_id in silenced_ids(recipient_id, notifications=True):
            return None
    confirmed = (
        User.objects.filter(pk=recipient_id, is_active=True)
        .values_list("email_confirmed", flat=True)
        .first()
    )
    if confirmed is None:
        return None
    if post_id is not None and _thread_muted(recipient_id, post_id):
        return None
    if kind in _ONCE:
        same = Notification.objects.filter(
            _about(post_id), recipient_id=recipient_id, kind=kind, actor_id=actor_id
        )
        if group_id is not None:
            same = same.filter(group_id=group_id)
        if event_id is not None:
            same = same.filter(event_id=event_id)
        if same.exists():
            return None
    notification = Notification.objects.create(
        recipient_id=recipient_id,
        kind=kind,
        actor_id=actor_id,
        post_id=post_id,
        group_id=group_id,
        event_id=event_id,
    )
    if confirmed:
        emails.schedule(notification)
    realtime.notification_created(notification)
    return notification


def _thread_muted(recipient_id: int, post_id: int) -> bool:
    """Whether the recipient muted the conversation `post_id` belongs to."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM notifications_threadmute tm JOIN posts_post p"
            " ON tm.conversation_id = COALESCE(p.conversation_id, p.id)"
            " WHERE p.id = %s AND tm.user_id = %s",
            [post_id, recipient_id],
        )
        return cursor.fetchone() is not None


def mute_thread(member: User, post: Post) -> None:
    """Mute the conversation `post` belongs to, for `member` (who may see `post`: the caller
    checked): no more notifications about any post of it. Muting twice is one mute."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    ThreadMute.objects.get_or_create(user=member, conversation_id=post.thread_root_id)


def unmute_thread(member: User, post: Post) -> None:
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    ThreadMute.objects.filter(user=member, conversation_id=post.thread_root_id).delete()


def withdraw(
    kind: Kind,
    *,
    actor_id: int | None,
    post_id: int | None = None,
    recipient_id: int | None = None,
    group_id: int | None = None,
) -> None:
    """Undo notifications when the act is undone (unlike, unshare, a follow request answered
    or withdrawn); `actor_id` None is anyone's; `recipient_id` narrows it to one member's,
    `group_id` to one group's."""
    rows = Notification.objects.filter(_about(post_id), kind=kind)
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    if recipient_id is not None:
        rows = rows.filter(recipient_id=recipient_id)
    if group_id is not None:
        rows = rows.filter(group_id=group_id)
    rows.delete()


def _about(post_id: int | None) -> Q:
    return Q(post__isnull=True) if post_id is None else Q(post_id=post_id)


def mark_all_read(member: User) -> int:
    """Mark every notification of `member` read; returns how many were unread."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    return Notification.objects.filter(recipient_id=member.pk, read=False).update(read=True)


def mark_read(member: User, notification_ids: Iterable[int]) -> int:
    """Mark some of `member`'s notifications read (others' ids are ignored); returns how many
    changed."""
    ids = list(notification_ids)
    if not ids:
        raise ValidationError(
            gettext("Choose which notifications to mark as read."), code="required"
        )
    if len(ids) > MAX_MARKED:
        raise ValidationError(
            gettext("At most %(count)d notifications can be marked at once.")
            % {"count": MAX_MARKED},
            code="too_many",
        )
    if not all(isinstance(value, int) and 0 < value < 2**63 for value in ids):
        raise ValidationError(gettext("That is not a notification."), code="invalid")
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    return Notification.objects.filter(recipient_id=member.pk, pk__in=ids, read=False).update(
        read=True
    )


def mark_read_through(member: User, last_id: int) -> int:
    """Mark `member`'s notifications up to and including `last_id` read (an app's reading
    marker); returns how many changed."""
    return Notification.objects.filter(recipient_id=member.pk, pk__lte=last_id, read=False).update(
        read=True
    )


def dismiss(member: User, notification_id: int) -> bool:
    """Remove one of `member`'s notifications; False when they have no such notification."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    deleted, _ = Notification.objects.filter(recipient_id=member.pk, pk=notification_id).delete()
    return deleted > 0


def clear(member: User) -> int:
    """Remove every notification of `member`; returns how many there were."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    deleted, _ = Notification.objects.filter(recipient_id=member.pk).delete()
    return deleted


def get_preferences(member: User) -> NotificationPreferences:
    """`member`'s email preferences (the defaults, unsaved, until they change them)."""
    return emails.preferences_of(member.pk)


def update_preferences(
    member: User,
    *,
    delivery: str | None = None,
    email_kinds: Iterable[str] | None = None,
) -> NotificationPreferences:
    """Change how `member` hears by email: `delivery` (a Delivery value) and which kinds.
    Switching to the digest starts it from now: it never repeats what was already sent."""
    errors: dict[str, str] = {}
    if delivery is not None and delivery not in Delivery.values:
        errors["delivery"] = gettext("Choose how often to get emails.")
    kinds: list[str] | None = None
    if email_kinds is not None:
        kinds = list(email_kinds)
        if not all(isinstance(kind, str) and kind in Kind.values for kind in kinds):
            errors["email_kinds"] = gettext("Choose among the kinds of notification listed.")
        else:
            kinds = [kind for kind in Kind.values if kind in kinds]  # known order, no repeats
    if errors:
        raise ValidationError(errors)
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        prefs, _ = NotificationPreferences.objects.select_for_update().get_or_create(
            member_id=member.pk
        )
        if delivery is not None and delivery != prefs.delivery:
            if delivery == Delivery.DIGEST:
                prefs.digest_after_id = max(prefs.digest_after_id, _id_now())
            prefs.delivery = delivery
        if kinds is not None:
            prefs.email_kinds = kinds
        prefs.save()
    return prefs


def _id_now() -> int:
    return id_for_time(time())
