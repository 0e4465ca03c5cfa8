"""Notification emails: deciding when to send, and writing them. Sending goes through the
accounts email job (`accounts.tasks.send_email`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.languages import speaking_to
from townsquare.accounts.models import User
from townsquare.accounts.tasks import send_email
from townsquare.core.ids import next_id
from townsquare.core.jobs import enqueue
from townsquare.notifications import queries, text
from townsquare.notifications.models import (
    Delivery,
    Kind,
    Notification,
    NotificationPreferences,
)
from townsquare.site import state as site_state

DIGEST_EVERY = timedelta(hours=24)
FIRST_DIGEST_AFTER = timedelta(hours=1)
# A digest job this late is taken for lost (say, a queue flushed): the next one replaces it.
DIGEST_LOST_AFTER = timedelta(hours=6)
DIGEST_MAX_ITEMS = 50


def preferences_of(member_id: int) -> NotificationPreferences:
    """The member's preferences (defaults, unsaved, when they never changed them)."""
    found = NotificationPreferences.objects.filter(member_id=member_id).first()
    return found or NotificationPreferences(member_id=member_id)


def schedule(notification: Notification) -> None:
    """Queue the email this new notification calls for, if any (inside the transaction)."""
    from townsquare.notifications import tasks

    prefs = preferences_of(notification.recipient_id)
    if not prefs.emails(notification.kind):
        return
    if prefs.delivery == Delivery.IMMEDIATELY:
        enqueue(tasks.send_notification_email, notification.pk)
    elif prefs.delivery == Delivery.DIGEST:
        schedule_digest(prefs)


def next_digest_time(prefs: NotificationPreferences) -> datetime:
    now = timezone.now()
    if prefs.last_digest_at is not None and prefs.last_digest_at + DIGEST_EVERY > now:
        return prefs.last_digest_at + DIGEST_EVERY
    return now + FIRST_DIGEST_AFTER


def schedule_digest(prefs: NotificationPreferences) -> None:
    """Queue the member's next digest unless one is waiting already."""
    from townsquare.notifications import tasks

    now = timezone.now()
    due = next_digest_time(prefs)
    token = next_id()
    waiting = Q(digest_due_at__isnull=False, digest_due_at__gte=now - DIGEST_LOST_AFTER)
    claimed = (
        NotificationPreferences.objects.filter(member_id=prefs.member_id)
        .exclude(waiting)
        .update(digest_token=token, digest_due_at=due)
    )
    if claimed:
        enqueue(tasks.send_digest.using(run_after=due), prefs.member_id, token)


# Where a group notification leads (an approved post leads to the post).
_GROUP_PAGES: dict[str, str] = {
    Kind.GROUP_REQUEST.value: "group_members",
    Kind.GROUP_INVITE.value: "group",
    Kind.GROUP_ACCEPTED.value: "group",
    Kind.GROUP_POST_PENDING.value: "group_pending",
}


def _link(path: str) -> str:
    return settings.BASE_URL + path


def _target_link(notification: Notification) -> str:
    """Where the notification leads: the post, the actor's profile, or the requests page."""
    post = notification.post
    group = notification.group
    if group is not None and notification.kind in _GROUP_PAGES:
        return _link(reverse(_GROUP_PAGES[notification.kind], args=[group.handle]))
    if notification.event_id is not None:
        return _link(reverse("event", args=[notification.event_id]))
    if post is not None:
        return _link(reverse("post", args=[post.author.username, post.pk]))
    if notification.kind == Kind.FOLLOW_REQUEST:
        return _link(reverse("follow_requests"))
    if notification.actor is not None:
        return _link(reverse("profile", args=[notification.actor.username]))
    return _link(reverse("notifications"))


def _line(member: User, notification: Notification) -> dict[str, str]:
    post = notification.post
    actor_names = [notification.actor.name] if notification.actor is not None else []
    own_poll = post is not None and post.author_id == member.pk
    return {
        "summary": text.summary(
            notification.kind,
            actor_names,
            own_poll=own_poll,
            group_name=notification.group.name if notification.group is not None else "",
            event_title=notification.event.title if notification.event is not None else "",
        ),
        "excerpt": text.excerpt(post.text, post.spoiler_text) if post is not None else "",
        "link": _target_link(notification),
    }


def _common(member: User) -> dict[str, object]:
    return {
        "member": member,
        "site_name": site_state.site_name(),
        "notifications_link": _link(reverse("notifications")),
        "settings_link": _link(reverse("notification_settings")),
    }


def send_one(notification_id: int) -> bool:
    """Email one notification now, if it is still unread, still shown, and still wanted."""
    notification = (
        Notification.objects.select_related(
            "recipient", "actor", "post", "post__author", "group", "event"
        )
        .filter(pk=notification_id, read=False)
        .first()
    )
    if notification is None:
        return False
    member = notification.recipient
    if not (member.is_active and member.email_confirmed):
        return False
    prefs = preferences_of(member.pk)
    if prefs.delivery != Delivery.IMMEDIATELY or not prefs.emails(notification.kind):
        return False
    if not queries.shown(member).filter(pk=notification.pk).exists():
        return False
    with speaking_to(member):  # the email is in the recipient's language
        line = _line(member, notification)
        context = {**_common(member), **line}
        body = render_to_string("notifications/email/notification.txt", context)
        subject = _("%(what)s on %(site)s") % {
            "what": line["summary"],
            "site": site_state.site_name(),
        }
    enqueue(send_email, subject, body, member.email)
    return True


def send_digest(prefs: NotificationPreferences) -> int:
    """Email the digest of unread notifications since the last one, record that it ran, and
    return how many notifications it listed. Call it with `prefs` locked, in a transaction."""
    member = User.objects.filter(pk=prefs.member_id).first()
    listed = 0
    if (
        member is not None
        and member.is_active
        and member.email_confirmed
        and prefs.delivery == Delivery.DIGEST
    ):
        rows_qs = (
            queries.shown(member)
            .filter(read=False, id__gt=prefs.digest_after_id, kind__in=prefs.email_kinds)
            .select_related("actor", "post", "post__author", "group", "event")
            .order_by("-id")
        )
        rows = list(rows_qs[: DIGEST_MAX_ITEMS + 1])
        if rows:
            prefs.digest_after_id = rows[0].pk
            total = len(rows) if len(rows) <= DIGEST_MAX_ITEMS else rows_qs.count()
            with speaking_to(member):  # the email is in the recipient's language
                _enqueue_digest(member, rows[:DIGEST_MAX_ITEMS], total)
            listed = total
    prefs.last_digest_at = timezone.now()
    prefs.digest_token = None
    prefs.digest_due_at = None
    prefs.save(update_fields=["last_digest_at", "digest_after_id", "digest_token", "digest_due_at"])
    return listed


def _enqueue_digest(member: User, rows: list[Notification], total: int) -> None:
    by_kind: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(_line(member, row))
    labels = dict(Kind.choices)
    sections = [
        {"label": str(labels[kind]), "lines": by_kind[kind]}
        for kind in Kind.values
        if kind in by_kind
    ]
    context = {**_common(member), "sections": sections, "total": total, "more": total - len(rows)}
    body = render_to_string("notifications/email/digest.txt", context)
    subject = ngettext(
        "%(count)d new notification on %(site)s", "%(count)d new notifications on %(site)s", total
    ) % {"count": total, "site": site_state.site_name()}
    enqueue(send_email, subject, body, member.email)
