"""Reading events, and the one place that decides who may see one:

- an event in a group is seen as the group's posts are: anyone for a public group, its members
  for a private or secret one (a secret group's event does not exist for anyone else: 404);
- every event: nothing from a deactivated host, nothing between a viewer and a host when
  either blocked the other, and nothing for visitors who are not signed in when the host
  keeps their posts from visitors;
- nothing of a part of the site the operator switched off: no group's event while groups are
  off, no page's event while pages are off.

`visible_events(viewer)` narrows a queryset, `can_see_event(viewer, event)` answers for one
event and `who_can_see(event, member_ids)` for many members at once (the reminder job); the
test matrix checks that the three agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.accounts.queries import can_act_as
from townsquare.communities import queries as group_queries
from townsquare.communities.models import Group, GroupPrivacy, Membership, MembershipState
from townsquare.events.models import Answer, Event, EventAnswer
from townsquare.events.models.answer import ATTENDING
from townsquare.graph.models import Block
from townsquare.graph.queries import is_blocked_between
from townsquare.site import features

Viewer = User | AnonymousUser | None


def _member(viewer: Viewer) -> User | None:
    return viewer if isinstance(viewer, User) and viewer.is_authenticated else None


def not_found() -> Http404:
    return Http404("No such event.")


def _switched_off(event: Event) -> bool:
    """Whether the event belongs to a part of the site the operator switched off."""
    return (event.group_id is not None and not features.enabled("groups")) or (
        event.host.is_page and not features.enabled("pages")
    )


def visibility_filter(viewer: Viewer) -> Q:
    member = _member(viewer)
    rule = Q(host__is_active=True)
    if not features.enabled("groups"):
        rule &= Q(group__isnull=True)
    if not features.enabled("pages"):
        rule &= Q(host__is_page=False)
    open_group = Q(group__privacy=GroupPrivacy.PUBLIC)
    if member is not None:
        mine = Membership.objects.filter(member_id=member.pk, state=MembershipState.MEMBER)
        open_group |= Q(group_id__in=mine.values("group_id"))
        rule &= ~Q(
            Exists(Block.objects.filter(blocker_id=OuterRef("host_id"), blocked_id=member.pk))
        )
        rule &= ~Q(
            Exists(Block.objects.filter(blocker_id=member.pk, blocked_id=OuterRef("host_id")))
        )
    else:
        rule &= Q(host__show_posts_to_visitors=True)
    return rule & (Q(group__isnull=True) | open_group)


def visible_events(viewer: Viewer, events: QuerySet[Event] | None = None) -> QuerySet[Event]:
    """The events (of `events`, or all) that `viewer` may see."""
    base = Event.objects.all() if events is None else events
    return base.filter(visibility_filter(viewer))


def can_see_event(viewer: Viewer, event: Event) -> bool:
    """Whether `viewer` may see `event`: the same rules as `visible_events`, for one event."""
    if not event.host.is_active or _switched_off(event):
        return False
    member = _member(viewer)
    if event.group_id is not None and not (
        group_queries.is_public_group(event.group_id)
        or (member is not None and group_queries.is_member_of(member, event.group_id))
    ):
        return False
    if member is None:
        return event.host.show_posts_to_visitors
    return member.pk == event.host_id or not is_blocked_between(member.pk, event.host_id)


def who_can_see(event: Event, member_ids: Iterable[int]) -> set[int]:
    """Which of these members (active ones) may see `event`: the same rules, for many."""
    ids = set(member_ids)
    if not ids or not event.host.is_active or _switched_off(event):
        return set()
    ids = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    if event.group_id is not None and not group_queries.is_public_group(event.group_id):
        ids &= set(
            Membership.objects.filter(
                group_id=event.group_id, member_id__in=ids, state=MembershipState.MEMBER
            ).values_list("member_id", flat=True)
        )
    blocked = Block.objects.filter(
        Q(blocker_id=event.host_id, blocked_id__in=ids)
        | Q(blocked_id=event.host_id, blocker_id__in=ids)
    ).values_list("blocker_id", "blocked_id")
    for blocker_id, blocked_id in blocked:
        ids.discard(blocked_id if blocker_id == event.host_id else blocker_id)
    return ids


def event_for(viewer: Viewer, event_id: int) -> Event:
    """The event, as the viewer may see it (Http404 otherwise, exactly like a missing one)."""
    event = Event.objects.select_related("host", "group").filter(pk=event_id).first()
    if event is None or not can_see_event(viewer, event):
        raise not_found()
    return event


def can_manage_event(viewer: Viewer, event: Event) -> bool:
    """Who may edit, cancel or delete: whoever may act as its host (the member hosting it, or
    the team of the page hosting it), and for a group's event its moderators, and its creator
    while still a member of the group."""
    member = _member(viewer)
    if member is None or not member.is_active:
        return False
    if event.group is None:
        return can_act_as(member, event.host)
    if group_queries.can_manage(member, event.group):
        return True
    hosts = event.created_by_id == member.pk or can_act_as(member, event.host)
    return hosts and group_queries.is_member_of(member, event.group.pk)


def is_banned_from_group(member: User, event: Event) -> bool:
    place = group_queries.membership(member, event.group) if event.group is not None else None
    return place is not None and place.state == MembershipState.BANNED


def can_answer(viewer: Viewer, event: Event) -> bool:
    """Whether the answer buttons are offered (the action checks the same and says why not)."""
    member = _member(viewer)
    return (
        member is not None
        and event.cancelled_at is None
        and event.ends_at > timezone.now()
        and not is_banned_from_group(member, event)
    )


# Listings.


def _listed(rows: QuerySet[Event]) -> QuerySet[Event]:
    return rows.select_related("host", "group").order_by("starts_at", "id")


def upcoming(
    viewer: Viewer,
    *,
    group: Group | None = None,
    host: User | None = None,
    after: Event | None = None,
    limit: int = 100,
) -> list[Event]:
    """Events not over yet and not cancelled that the viewer may see, soonest first (one
    group's or one host's when asked); `after` continues a listing after that event."""
    rows = visible_events(viewer).filter(ends_at__gt=timezone.now(), cancelled_at__isnull=True)
    if group is not None:
        rows = rows.filter(group=group)
    if host is not None:
        rows = rows.filter(host=host)
    if after is not None:
        rows = rows.filter(
            Q(starts_at__gt=after.starts_at) | Q(starts_at=after.starts_at, id__gt=after.pk)
        )
    return list(_listed(rows)[:limit])


def upcoming_for_group(viewer: Viewer, group: Group, limit: int = 3) -> list[Event]:
    """The next events of a group, for its page (none for those who may not read it)."""
    return upcoming(viewer, group=group, limit=limit)


def upcoming_for_host(viewer: Viewer, host_user: User, limit: int = 3) -> list[Event]:
    """The next events a member or a page hosts, for their profile."""
    return upcoming(viewer, host=host_user, limit=limit)


def attending(viewer: Viewer, *, limit: int = 50) -> list[Event]:
    """Events not over yet that the member answered going or interested, soonest first,
    cancelled ones included (so that they learn of it)."""
    member = _member(viewer)
    if member is None:
        return []
    mine = EventAnswer.objects.filter(member_id=member.pk, answer__in=ATTENDING)
    rows = visible_events(member).filter(ends_at__gt=timezone.now(), pk__in=mine.values("event_id"))
    return list(_listed(rows)[:limit])


def answers_of(viewer: Viewer, event_ids: Iterable[int]) -> dict[int, str]:
    """The viewer's answer to each of these events that they answered."""
    member = _member(viewer)
    ids = list(event_ids)
    if member is None or not ids:
        return {}
    return dict(
        EventAnswer.objects.filter(member_id=member.pk, event_id__in=ids).values_list(
            "event_id", "answer"
        )
    )


def answer_of(viewer: Viewer, event: Event) -> str | None:
    return answers_of(viewer, [event.pk]).get(event.pk)


def answer_counts(event_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """How many (active) members answered each way, per event: {id: {"going": n, ...}}."""
    ids = list(event_ids)
    counts: dict[int, dict[str, int]] = {i: dict.fromkeys(Answer.values, 0) for i in ids}
    rows = (
        EventAnswer.objects.filter(event_id__in=ids, member__is_active=True)
        .values("event_id", "answer")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["event_id"]][row["answer"]] = row["n"]
    return counts


def people(viewer: Viewer, event: Event, answer: str, *, limit: int = 60) -> list[User]:
    """The members who answered `answer`, latest first: active ones, and not those blocked
    either way with the viewer."""
    rows = User.objects.filter(
        is_active=True,
        pk__in=EventAnswer.objects.filter(event_id=event.pk, answer=answer).values("member_id"),
    )
    member = _member(viewer)
    if member is not None:
        rows = rows.exclude(
            pk__in=Block.objects.filter(blocker_id=member.pk).values("blocked_id")
        ).exclude(pk__in=Block.objects.filter(blocked_id=member.pk).values("blocker_id"))
    latest = EventAnswer.objects.filter(event_id=event.pk, member_id=OuterRef("pk")).values(
        "updated_at"
    )[:1]
    return list(rows.annotate(answered_at=Subquery(latest)).order_by("-answered_at")[:limit])


def attendee_ids(event: Event) -> list[int]:
    """Members answering going or interested (who get the reminder, if they may see it)."""
    return list(
        EventAnswer.objects.filter(event_id=event.pk, answer__in=ATTENDING).values_list(
            "member_id", flat=True
        )
    )


def last_time_zone(member: User) -> str | None:
    """The time zone of the member's latest event (the new-event form starts from it)."""
    return (
        Event.objects.filter(created_by_id=member.pk)
        .order_by("-id")
        .values_list("time_zone", flat=True)
        .first()
    )
