"""Reading notifications: only ones the member may still see, grouped for display.

A notification is shown when its actor is active and neither blocked (either way) nor muted
with notifications (even if it was written before the block or mute), and when its post, if
it has one, is still visible to the member (decided by `posts.queries.visible_to`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core.pagination import cursor_values
from townsquare.graph.queries import silencing
from townsquare.notifications import text
from townsquare.notifications.models import Kind, Notification
from townsquare.posts.models import Post
from townsquare.posts.queries import visibility_sql, visible_to

MAX_ACTORS = 3  # actors named on one grouped item; the rest are "N others"
MAX_PAGE = 80
# Grouped across the whole page; every other kind only with the notification just above it.
PAGE_GROUPED = frozenset({Kind.FOLLOW.value, Kind.FOLLOW_REQUEST.value})


def shown(member: User) -> QuerySet[Notification]:
    """`member`'s notifications that may be shown to them (see the module docstring)."""
    visible_post = visible_to(member, Post.objects.filter(pk=OuterRef("post_id")))
    rows = Notification.objects.filter(recipient_id=member.pk).filter(
        Q(actor__isnull=True) | Q(actor__is_active=True),
        Q(post__isnull=True) | Exists(visible_post),
    )
    return rows.exclude(silencing(member.pk, "actor_id", notifications=True))


_UNREAD_SQL = (
    "SELECT COUNT(*) FROM notifications_notification n"
    " LEFT JOIN accounts_user a ON a.id = n.actor_id"
    " WHERE n.recipient_id = %s AND NOT n.read AND (n.actor_id IS NULL OR (a.is_active"
    " AND NOT EXISTS (SELECT 1 FROM graph_block b WHERE b.blocker_id = %s"
    " AND b.blocked_id = n.actor_id)"
    " AND NOT EXISTS (SELECT 1 FROM graph_block b WHERE b.blocked_id = %s"
    " AND b.blocker_id = n.actor_id)"
    " AND NOT EXISTS (SELECT 1 FROM graph_mute mu WHERE mu.muter_id = %s"
    " AND mu.muted_id = n.actor_id AND mu.hide_notifications"
    " AND (mu.expires_at IS NULL OR mu.expires_at > %s))))"
    " AND (n.post_id IS NULL OR EXISTS (SELECT 1 FROM posts_post p"
    " JOIN accounts_user u ON u.id = p.author_id WHERE p.id = n.post_id AND VISIBLE))"
)


def unread_count_sql(member: User) -> tuple[str, list[Any]]:
    """The statement counting `member`'s unread notifications, with its parameters: the same
    rule as `shown`, in plain SQL (the ORM took 10 ms to build it; this runs in a fraction of
    one). The post condition is `posts.queries.visibility_sql`."""
    visible, visible_params = visibility_sql(member)
    me = member.pk
    return _UNREAD_SQL.replace("VISIBLE", visible), [
        me,
        me,
        me,
        me,
        timezone.now(),
        *visible_params,
    ]


def unread_count(member: User) -> int:
    """How many notifications `member` has not read."""
    sql, params = unread_count_sql(member)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


@dataclass
class NotificationGroup:
    """One line of the notifications page: one or more notifications of the same kind."""

    kind: str
    post: Post | None
    ids: list[int] = field(default_factory=list)
    actors: list[User] = field(default_factory=list)  # the first few, newest first
    actor_count: int = 0
    unread: bool = False
    latest_at: datetime | None = None
    own_post: bool = False  # the post is the member's (for "your poll has ended")
    group: Any = None  # the group a group notification is about
    event: Any = None  # the event a reminder is about
    _actor_ids: set[int] = field(default_factory=set, repr=False)

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def newest_id(self) -> int:
        return self.ids[0]

    @property
    def others(self) -> int:
        return self.actor_count - len(self.actors)

    @property
    def summary_html(self) -> SafeString:
        """The line for the web page: the actors' names (and the group's) as links."""
        actors = [
            format_html('<a href="/@{}" class="n-name">{}</a>', actor.username, actor.name)
            for actor in self.actors
        ]
        group = (
            format_html(
                '<a href="{}" class="n-group">{}</a>',
                reverse("group", args=[self.group.handle]),
                self.group.name,
            )
            if self.group is not None
            else ""
        )
        return text.summary_html(self.kind, actors, self.others, group)

    @property
    def names_actors(self) -> bool:
        """Whether the line starts with the actors' names (an ended poll may name nobody)."""
        if self.kind == Kind.EVENT_REMINDER:
            return False
        return not (self.kind == Kind.POLL and (self.own_post or not self.actors))

    @property
    def summary(self) -> str:
        names = [actor.name for actor in self.actors]
        return text.summary(
            self.kind,
            names,
            self.others,
            own_poll=self.own_post,
            event_title=self.event.title if self.event is not None else "",
        )

    def add(self, notification: Notification) -> None:
        self.ids.append(notification.pk)
        self.unread = self.unread or not notification.read
        if self.latest_at is None or notification.created_at > self.latest_at:
            self.latest_at = notification.created_at
        actor = notification.actor
        if actor is not None and actor.pk not in self._actor_ids:
            self._actor_ids.add(actor.pk)
            self.actor_count += 1
            if len(self.actors) < MAX_ACTORS:
                self.actors.append(actor)


@dataclass
class NotificationPage:
    items: list[NotificationGroup]
    next_max_id: int | None  # pass as max_id for the next (older) page; None at the end
    kind: str | None = None


def group(member: User, rows: list[Notification]) -> list[NotificationGroup]:
    """Group notifications (newest first) for display: follows and follow requests across
    the page, others with the item just above when it is the same kind about the same post."""
    items: list[NotificationGroup] = []
    by_kind: dict[str, NotificationGroup] = {}
    for row in rows:
        if row.kind in PAGE_GROUPED:
            item = by_kind.get(row.kind)
            if item is None:
                item = by_kind[row.kind] = NotificationGroup(kind=row.kind, post=None)
                items.append(item)
        else:
            last = items[-1] if items else None
            if (
                last is not None
                and last.kind == row.kind
                and (
                    (last.post is not None and last.post.pk == row.post_id)
                    or (last.post is None and row.post_id is None and _same_group(last, row))
                )
            ):
                item = last
            else:
                item = NotificationGroup(
                    kind=row.kind,
                    post=row.post,
                    own_post=row.post is not None and row.post.author_id == member.pk,
                    group=row.group,
                    event=row.event,
                )
                items.append(item)
        item.add(row)
    return items


def _same_group(item: NotificationGroup, row: Notification) -> bool:
    return row.group_id is not None and item.group is not None and item.group.pk == row.group_id


def notification_page(
    member: User, *, kind: str | None = None, max_id: int | None = None, limit: int = 40
) -> NotificationPage:
    """A page of `member`'s notifications, newest first, grouped for display. `kind` picks
    one type (a Kind value); `max_id` continues below an earlier page. One query."""
    if kind is not None and kind not in Kind.values:
        raise ValidationError(_("There is no such kind of notification."), code="invalid")
    limit = max(1, min(limit, MAX_PAGE))
    rows_qs = (
        shown(member)
        .select_related("actor", "post", "post__author", "group", "event")
        .order_by("-id")
    )
    if kind is not None:
        rows_qs = rows_qs.filter(kind=kind)
    if max_id is not None:
        rows_qs = rows_qs.filter(id__lt=max_id)
    rows = list(rows_qs[:limit])
    next_max_id = rows[-1].pk if len(rows) == limit else None
    return NotificationPage(items=group(member, rows), next_max_id=next_max_id, kind=kind)


@dataclass(frozen=True, slots=True)
class NotificationRow:
    """One notification as the API lists it: plain columns, no related rows."""

    id: int
    kind: str
    actor_id: int | None
    post_id: int | None
    created_at: datetime
    read: bool


_ROW_FIELDS = ("id", "kind", "actor_id", "post_id", "created_at", "read")


def notification_rows(
    member: User,
    *,
    kinds: Collection[str] | None = None,
    actor_id: int | None = None,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 40,
) -> list[NotificationRow]:
    """A page of the notifications `shown` to `member`, newest first, in one query, by id
    cursor as Mastodon pages them: `max_id` (older), `since_id` (newer), `min_id` (just newer,
    read upwards). `kinds` keeps only those kinds, `actor_id` only that member's."""
    rows = shown(member)
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    found = cursor_values(
        rows, _ROW_FIELDS, max_id=max_id, since_id=since_id, min_id=min_id, limit=limit
    )
    return [NotificationRow(*values) for values in found]


def notification_row(member: User, notification_id: int) -> NotificationRow | None:
    """One of `member`'s notifications, if it is shown to them."""
    values = shown(member).filter(pk=notification_id).values_list(*_ROW_FIELDS).first()
    return NotificationRow(*values) if values is not None else None


def unread_shown_count(
    member: User, *, kinds: Collection[str] | None = None, after_id: int = 0, limit: int = 100
) -> int:
    """How many notifications shown to `member` are unread and newer than `after_id`, of
    `kinds` (all when None), counting up to `limit`."""
    rows = shown(member).filter(read=False, id__gt=after_id)
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    return rows.order_by().values("id")[:limit].count()
