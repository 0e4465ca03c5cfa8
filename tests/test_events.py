"""Events through the write layer (events.actions) and events.queries: creating one as oneself,
in a group, or (refused) as someone else; times read in the event's own time zone; editing,
cancelling, deleting and who may; answers; the visibility matrix (group privacy x the viewer's
place in the group, blocks, an inactive host, a host who keeps posts from visitors) on every
surface; and the reminders a day before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import make_user, run_jobs
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.communities import actions as group_actions
from townsquare.communities.models import Group, GroupPrivacy, Membership, MembershipState, Role
from townsquare.events import actions, queries
from townsquare.events.models import Answer, Event, EventAnswer
from townsquare.graph import actions as graph_actions
from townsquare.notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db

REMINDER_TASK = "townsquare.events.tasks.send_event_reminders"


def _in(hours: float) -> datetime:
    """A time `hours` from now, to the minute (as the form gives them)."""
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def _event(
    creator: User, *, hours: float = 72, group: Group | None = None, **extra: object
) -> Event:
    return actions.create_event(
        creator,
        title=str(extra.pop("title", "Seed swap")),
        starts_at=_in(hours),
        time_zone=str(extra.pop("time_zone", "Europe/Paris")),
        group=group,
        **extra,  # type: ignore[arg-type]
    )


def _group(owner: User, privacy: int = GroupPrivacy.PUBLIC, handle: str = "allotments") -> Group:
    return group_actions.create_group(
        owner, name="Riverside Allotments", handle=handle, privacy=privacy
    )


def _reminded(event: Event) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=Kind.EVENT_REMINDER, event=event).values_list(
            "recipient__username", flat=True
        )
    )


# Creating.


def test_a_member_creates_an_event_hosted_by_themselves() -> None:
    ana = make_user("ana")
    event = _event(ana, description="Bring *spare* seedlings to @ana", place=" The  old barn ")
    assert (event.host, event.created_by, event.group) == (ana, ana, None)
    assert event.ends_at - event.starts_at == timedelta(hours=1)  # no end given: one hour
    assert event.place == "The old barn"
    assert "@ana" in event.description_html and "<script" not in event.description_html
    assert queries.can_manage_event(ana, event)


def test_wall_clock_times_are_read_in_the_events_time_zone() -> None:
    ana = make_user("ana")
    year = timezone.now().year + 1
    winter = actions.create_event(
        ana,
        title="Winter lights",
        starts_at=datetime(year, 1, 15, 19, 30),  # naive: 19:30 in Paris
        ends_at=datetime(year, 1, 15, 22, 0),
        time_zone="Europe/Paris",
    )
    assert winter.starts_at == datetime(year, 1, 15, 18, 30, tzinfo=UTC)  # CET is UTC+1
    summer = actions.create_event(
        ana, title="Picnic", starts_at=datetime(year, 7, 4, 12, 0), time_zone="America/New_York"
    )
    assert summer.starts_at == datetime(year, 7, 4, 16, 0, tzinfo=UTC)  # EDT is UTC-4
    assert summer.time_zone == "America/New_York"


def test_bad_input_is_refused_field_by_field() -> None:
    ana = make_user("ana")
    with pytest.raises(ValidationError) as bad:
        actions.create_event(
            ana,
            title="  ",
            starts_at=_in(5),
            ends_at=_in(4),
            time_zone="Europe/Paris",
            online_url="javascript:alert(1)",
        )
    assert set(bad.value.message_dict) == {"title", "ends_at", "online_url"}
    assert "after the start" in bad.value.message_dict["ends_at"][0]
    with pytest.raises(ValidationError) as bad:
        actions.create_event(ana, title="x", starts_at=_in(5), time_zone="Mars/Olympus_Mons")
    assert set(bad.value.message_dict) == {"time_zone"}
    with pytest.raises(ValidationError) as bad:
        actions.create_event(ana, title="x", starts_at=_in(-1), time_zone="UTC")
    assert "in the future" in bad.value.message_dict["starts_at"][0]
    for url in ("ftp://example.org/file", "example.org", "https://"):
        with pytest.raises(ValidationError) as bad:
            actions.create_event(ana, title="x", starts_at=_in(5), time_zone="UTC", online_url=url)
        assert set(bad.value.message_dict) == {"online_url"}, url
    # 02:30 on the last Sunday of March does not exist in Paris (the clocks go 02:00 -> 03:00).
    year = timezone.now().year + 1
    last_sunday = max(day for day in range(25, 32) if datetime(year, 3, day).weekday() == 6)
    with pytest.raises(ValidationError) as bad:
        actions.create_event(
            ana,
            title="x",
            starts_at=datetime(year, 3, last_sunday, 2, 30),
            time_zone="Europe/Paris",
        )
    assert "does not exist" in bad.value.message_dict["starts_at"][0]
    assert Event.objects.count() == 0


def test_an_event_in_a_group_is_for_its_members_to_create() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    group = _group(ana, GroupPrivacy.PRIVATE)
    event = _event(ana, group=group)
    assert event.group == group and event.host == ana
    with pytest.raises(PermissionDenied):
        _event(sam, group=group)  # not a member
    group_actions.join(sam, group)  # asked, not yet let in
    with pytest.raises(PermissionDenied):
        _event(sam, group=group)
    assert Event.objects.count() == 1


def test_creating_an_event_as_someone_else_is_refused_unless_one_may_act_as_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    with pytest.raises(PermissionDenied):
        _event(sam, host=ana)
    assert Event.objects.count() == 0
    # Pages: whoever may act as an account (accounts.queries.can_act_as) hosts as it.
    monkeypatch.setattr(
        "townsquare.events.actions.can_act_as", lambda member, account: member.pk == sam.pk
    )
    event = _event(sam, host=ana)
    assert (event.host, event.created_by) == (ana, sam)


# Changing, cancelling, deleting.


def test_the_creator_and_the_groups_moderators_change_an_event_others_do_not() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    group = _group(ana)
    group_actions.join(sam, group)
    group_actions.join(kit, group)
    event = _event(sam, group=group)
    with pytest.raises(PermissionDenied):
        actions.update_event(kit, event, title="Mine now")
    actions.update_event(sam, event, title="Seed and bulb swap", place="The barn")
    actions.update_event(ana, event, description="The owner tidies it up")  # the group's owner
    group_actions.set_role(ana, group, kit.pk, Role.MODERATOR)
    actions.update_event(kit, event, online_url="https://meet.example.org/swap")
    event.refresh_from_db()
    assert (event.title, event.place, event.description) == (
        "Seed and bulb swap",
        "The barn",
        "The owner tidies it up",
    )
    assert event.online_url == "https://meet.example.org/swap"
    with pytest.raises(ValidationError) as bad:
        actions.update_event(sam, event, ends_at=event.starts_at - timedelta(minutes=5))
    assert set(bad.value.message_dict) == {"ends_at"}


def test_a_cancelled_event_keeps_its_page_and_takes_no_answers() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    event = _event(ana)
    actions.answer_event(sam, event, Answer.GOING)
    with pytest.raises(PermissionDenied):
        actions.cancel_event(sam, event)
    actions.cancel_event(ana, event)
    event = queries.event_for(sam, event.pk)  # still there
    assert event.cancelled
    with pytest.raises(ValidationError, match="cancelled"):
        actions.answer_event(sam, event, Answer.INTERESTED)
    assert queries.upcoming(sam) == []  # the calendar leaves it out
    assert queries.attending(sam) == [event]  # but those who answered still see it, labelled


def test_deleting_an_event_removes_it_and_its_answers() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    event = _event(ana)
    actions.answer_event(sam, event, Answer.GOING)
    with pytest.raises(PermissionDenied):
        actions.delete_event(sam, event)
    actions.delete_event(ana, event)
    assert not Event.objects.exists() and not EventAnswer.objects.exists()
    with pytest.raises(Http404):
        queries.event_for(ana, event.pk)


def test_an_answer_changes_in_place_and_can_be_taken_back() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    event = _event(ana)
    actions.answer_event(sam, event, Answer.GOING)
    actions.answer_event(kit, event, Answer.GOING)
    assert queries.answer_counts([event.pk])[event.pk] == {
        "going": 2,
        "interested": 0,
        "not_going": 0,
    }
    actions.answer_event(sam, event, Answer.INTERESTED)
    actions.answer_event(kit, event, Answer.NOT_GOING)
    assert EventAnswer.objects.filter(event=event).count() == 2
    assert queries.answer_of(sam, event) == Answer.INTERESTED
    assert queries.answer_counts([event.pk])[event.pk] == {
        "going": 0,
        "interested": 1,
        "not_going": 1,
    }
    assert queries.attending(sam) == [event] and queries.attending(kit) == []
    actions.answer_event(sam, event, None)
    assert queries.answer_of(sam, event) is None
    with pytest.raises(ValidationError):
        actions.answer_event(sam, event, "maybe")


# The visibility matrix.

PRIVACIES = {
    "public": GroupPrivacy.PUBLIC,
    "private": GroupPrivacy.PRIVATE,
    "secret": GroupPrivacy.SECRET,
}
STATES = {
    "none": None,
    "requested": MembershipState.REQUESTED,
    "invited": MembershipState.INVITED,
    "member": MembershipState.MEMBER,
    "banned": MembershipState.BANNED,
}
VIEWERS = (*STATES, "visitor")
# Who sees a group's event: the group's posts' rule. Anyone for a public group (a banned
# member too: the posts are public); members only for a private or secret one.
SEES_GROUP_EVENT = {("public", viewer): True for viewer in VIEWERS} | {
    (privacy, viewer): viewer == "member" for privacy in ("private", "secret") for viewer in VIEWERS
}


def _surfaces(viewer: User | None, event: Event) -> dict[str, bool]:
    """What the viewer meets of the event on every surface: its page, its .ics file, the
    calendar, the group's and the host's listings; and whether the answer form works."""
    client = Client()
    if viewer is not None:
        client.force_login(viewer)
    page = client.get(f"/events/{event.pk}")
    assert page.status_code in (200, 404), page.status_code
    ics = client.get(f"/events/{event.pk}/ics")
    calendar = client.get("/events").content.decode()
    seen = {
        "page": page.status_code == 200,
        "ics": ics.status_code == 200,
        "calendar": f"/events/{event.pk}" in calendar,
        "host_listing": event in queries.upcoming_for_host(viewer, event.host),
    }
    if event.group is not None:
        seen["group_listing"] = event in queries.upcoming_for_group(viewer, event.group)
    return seen


def _agree(viewer: User | None, event: Event) -> bool:
    """The query layer's answers, which must agree with each other; returns the answer."""
    event = Event.objects.select_related("host", "group").get(pk=event.pk)
    one = queries.can_see_event(viewer, event)
    many = queries.visible_events(viewer).filter(pk=event.pk).exists()
    assert one == many, (one, many)
    if viewer is not None:
        bulk = viewer.pk in queries.who_can_see(event, [viewer.pk])
        assert bulk == one, (bulk, one)
    return one


@pytest.mark.parametrize("viewer_kind", VIEWERS)
@pytest.mark.parametrize("privacy", PRIVACIES)
def test_a_groups_event_is_seen_as_the_groups_posts_are(privacy: str, viewer_kind: str) -> None:
    ana = make_user("ana")
    group = _group(ana, PRIVACIES[privacy])
    event = _event(ana, group=group, title="Plot inspection")
    viewer = None if viewer_kind == "visitor" else make_user("viewer")
    if viewer is not None and STATES[viewer_kind] is not None:
        Membership.objects.create(group=group, member=viewer, state=STATES[viewer_kind])
    expected = SEES_GROUP_EVENT[(privacy, viewer_kind)]
    assert _agree(viewer, event) is expected
    assert _surfaces(viewer, event) == dict.fromkeys(
        ("page", "ics", "calendar", "host_listing", "group_listing"), expected
    )
    if viewer is not None:
        if expected and viewer_kind != "banned":
            actions.answer_event(viewer, event, Answer.GOING)
            assert queries.answer_of(viewer, event) == Answer.GOING
        elif expected:  # banned from a public group: sees it, cannot answer
            with pytest.raises(ValidationError, match="can't answer"):
                actions.answer_event(viewer, event, Answer.GOING)
        else:
            with pytest.raises(Http404):
                actions.answer_event(viewer, event, Answer.GOING)
            with pytest.raises(Http404):
                actions.update_event(viewer, event, title="Hijacked")


OTHER_CASES = {
    # case -> (who looks, whether they see the event)
    "member": ("sam", True),
    "visitor": (None, True),
    "host_blocked_viewer": ("sam", False),
    "viewer_blocked_host": ("sam", False),
    "host_inactive_member": ("sam", False),
    "host_inactive_visitor": (None, False),
    "hidden_from_visitors_visitor": (None, False),
    "hidden_from_visitors_member": ("sam", True),
}


@pytest.mark.parametrize("case", OTHER_CASES)
def test_a_members_event_blocks_inactive_hosts_and_visitors(case: str) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    event = _event(ana, title="Open garden day")
    if case == "host_blocked_viewer":
        graph_actions.block(ana, sam)
    elif case == "viewer_blocked_host":
        graph_actions.block(sam, ana)
    elif case.startswith("host_inactive"):
        User.objects.filter(pk=ana.pk).update(is_active=False)
    elif case.startswith("hidden_from_visitors"):
        account_actions.set_privacy(ana, show_posts_to_visitors=False)
    who, expected = OTHER_CASES[case]
    viewer = sam if who == "sam" else None
    assert _agree(viewer, event) is expected
    assert _surfaces(viewer, event) == dict.fromkeys(
        ("page", "ics", "calendar", "host_listing"), expected
    )
    if viewer is not None and not expected:
        event = Event.objects.select_related("host").get(pk=event.pk)
        with pytest.raises(Http404):
            actions.answer_event(viewer, event, Answer.GOING)


def test_people_going_leave_out_the_inactive_and_the_blocked() -> None:
    ana, sam, kit, lee = (make_user(n) for n in ("ana", "sam", "kit", "lee"))
    event = _event(ana)
    for person in (sam, kit, lee):
        actions.answer_event(person, event, Answer.GOING)
    graph_actions.block(ana, kit)  # kit no longer sees it, and ana no longer sees kit
    User.objects.filter(pk=lee.pk).update(is_active=False)
    assert [p.username for p in queries.people(ana, event, Answer.GOING)] == ["sam"]
    assert queries.answer_counts([event.pk])[event.pk]["going"] == 2  # lee's is not counted


# Reminders.


def test_the_reminder_goes_once_to_those_going_or_interested() -> None:
    ana, sam, kit, lee = (make_user(n) for n in ("ana", "sam", "kit", "lee"))
    event = _event(ana, hours=3)  # within a day: the reminder job is due at once
    actions.answer_event(ana, event, Answer.GOING)
    actions.answer_event(sam, event, Answer.INTERESTED)
    actions.answer_event(kit, event, Answer.NOT_GOING)
    actions.answer_event(lee, event, Answer.GOING)
    graph_actions.block(lee, ana)  # lee no longer sees the event
    run_jobs()
    assert _reminded(event) == ["ana", "sam"]
    assert Notification.objects.filter(event=event).first().actor is None  # type: ignore[union-attr]
    assert actions.send_reminders(event.pk) == 0  # the job again: nothing more
    run_jobs()
    assert _reminded(event) == ["ana", "sam"]


def test_the_reminder_waits_until_a_day_before_and_skips_cancelled_events() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    event = _event(ana, hours=72)
    actions.answer_event(sam, event, Answer.GOING)
    run_jobs()
    assert _reminded(event) == []  # not yet
    [job] = DBTaskResult.objects.filter(task_path=REMINDER_TASK, status="READY")
    assert abs(job.run_after - (event.starts_at - actions.REMIND_BEFORE)) < timedelta(seconds=5)
    assert actions.send_reminders(event.pk) == 0  # run early (say, by hand): still nothing
    actions.cancel_event(ana, event)
    DBTaskResult.objects.filter(pk=job.pk).update(run_after=timezone.now())  # the day comes
    run_jobs()
    assert _reminded(event) == []
    # A deleted event's job does nothing either.
    other = _event(ana, hours=2)
    actions.answer_event(sam, other, Answer.GOING)
    actions.delete_event(ana, other)
    run_jobs()
    assert not Notification.objects.filter(kind=Kind.EVENT_REMINDER).exists()


def test_a_moved_start_is_reminded_again_by_the_job_for_the_new_time() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    event = _event(ana, hours=2)
    actions.answer_event(sam, event, Answer.GOING)
    run_jobs()
    assert _reminded(event) == ["sam"]
    actions.update_event(ana, event, starts_at=_in(5), ends_at=_in(6))
    run_jobs()
    assert _reminded(event) == ["sam", "sam"]
    # Moved to next week: the new time's job waits; the old ones do nothing.
    actions.update_event(ana, event, starts_at=_in(24 * 7), ends_at=_in(24 * 7 + 1))
    run_jobs()
    assert actions.send_reminders(event.pk) == 0
    assert _reminded(event) == ["sam", "sam"]
    assert DBTaskResult.objects.filter(task_path=REMINDER_TASK, status="READY").count() == 1


def test_a_member_banned_from_a_private_group_is_not_reminded() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    group = _group(ana, GroupPrivacy.PRIVATE)
    for person in (sam, kit):
        group_actions.invite(ana, group, person)
        group_actions.join(person, group)
    event = _event(ana, group=group, hours=4)
    actions.answer_event(sam, event, Answer.GOING)
    actions.answer_event(kit, event, Answer.GOING)
    group_actions.ban(ana, group, kit.pk)
    with pytest.raises(Http404):
        actions.answer_event(kit, event, Answer.INTERESTED)
    run_jobs()
    assert _reminded(event) == ["sam"]


def test_reminder_notifications_point_at_their_event() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    event = _event(ana, hours=1)
    actions.answer_event(sam, event, Answer.GOING)
    run_jobs()
    [note] = Notification.objects.filter(recipient=sam)
    assert (note.kind, note.event_id, note.post_id) == (Kind.EVENT_REMINDER, event.pk, None)
    actions.delete_event(ana, event)
    assert not Notification.objects.filter(recipient=sam).exists()  # gone with the event


def test_group_events_follow_the_groups_rules_for_who_plans_them() -> None:
    groups = group_actions
    olga, mia, max_ = make_user("olga"), make_user("mia"), make_user("max")
    group = groups.create_group(olga, name="Chess Society", handle="chess")
    for member in (mia, max_):
        Membership.objects.create(group=group, member=member)
    when = timezone.now() + timedelta(days=3)
    event = actions.create_event(mia, title="Blitz night", starts_at=when, time_zone="UTC",
                                 group=group)  # fmt: skip
    assert queries.can_manage_event(mia, event)
    # A muted member plans nothing in the group.
    groups.mute_member(olga, group, max_.pk, "1d")
    with pytest.raises(PermissionDenied, match="muted"):
        actions.create_event(max_, title="Spam", starts_at=when, time_zone="UTC", group=group)
    # Where posts wait for approval, only moderators plan events.
    group.approve_posts = True
    group.save(update_fields=["approve_posts"])
    groups.unmute_member(olga, group, max_.pk)
    with pytest.raises(PermissionDenied, match="moderators plan"):
        actions.create_event(max_, title="Mine", starts_at=when, time_zone="UTC", group=group)
    assert actions.create_event(olga, title="Club final", starts_at=when, time_zone="UTC",
                                group=group)  # fmt: skip
    # The creator loses control of a group's event once out of the group.
    groups.ban(olga, group, mia.pk)
    event = Event.objects.select_related("host", "group").get(pk=event.pk)
    assert not queries.can_manage_event(mia, event)
    assert queries.can_manage_event(olga, event)


def test_events_of_a_switched_off_part_of_the_site_are_shown_nowhere() -> None:
    from townsquare.communities.actions import pages as page_actions
    from townsquare.site import actions as site_actions

    olga, sam = make_user("olga"), make_user("sam")
    group = group_actions.create_group(olga, name="Chess Society", handle="chess")
    group_actions.join(sam, group)
    page = page_actions.create_page(olga, name="Chess Club", handle="chess_club", category="Club")
    when = timezone.now() + timedelta(days=3)
    in_group = actions.create_event(olga, title="Blitz", starts_at=when, time_zone="UTC",
                                    group=group)  # fmt: skip
    by_page = actions.create_event(olga, title="Open day", starts_at=when, time_zone="UTC",
                                   host=page)  # fmt: skip
    for event in (in_group, by_page):
        event = Event.objects.select_related("host", "group").get(pk=event.pk)
        assert queries.can_see_event(sam, event) and queries.who_can_see(event, [sam.pk])
    site_actions.set_feature("groups", enabled=False)
    site_actions.set_feature("pages", enabled=False)
    for event in (in_group, by_page):
        event = Event.objects.select_related("host", "group").get(pk=event.pk)
        assert not queries.can_see_event(sam, event)
        assert not queries.visible_events(sam).filter(pk=event.pk).exists()
        assert queries.who_can_see(event, [sam.pk]) == set()
    site_actions.set_feature("groups", enabled=True)
    site_actions.set_feature("pages", enabled=True)
    assert queries.visible_events(sam).filter(pk__in=[in_group.pk, by_page.pk]).count() == 2
