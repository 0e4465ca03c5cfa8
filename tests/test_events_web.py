"""The event pages, without JavaScript: creating an event from the form (with its errors), the
calendar by day, answering with plain form posts, editing, cancelling and deleting, a secret
group's event for outsiders, the .ics file, the listing other pages include, and the
operator's switch."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone
from PIL import Image

from tests.conftest import text_of
from tests.factories import make_user
from townsquare.accounts.models import User
from townsquare.communities import actions as group_actions
from townsquare.communities.models import GroupPrivacy
from townsquare.events import actions, queries, times
from townsquare.events.models import Answer, Event
from townsquare.site import actions as site_actions
from townsquare.web.views import events as event_views

pytestmark = pytest.mark.django_db

YEAR = timezone.now().year + 1


def _as(member: User | None) -> Client:
    client = Client()
    if member is not None:
        client.force_login(member)
    return client


def _form(**changes: str) -> dict[str, str]:
    fields = {
        "group": "",
        "title": "Winter seed swap",
        "starts_at": f"{YEAR}-01-15T19:30",
        "ends_at": f"{YEAR}-01-15T22:00",
        "time_zone": "Europe/Paris",
        "place": "The old barn, Mill Lane",
        "online_url": "",
        "description": "Bring seeds in envelopes.",
    }
    fields.update(changes)
    return fields


def _event(host: User, when: datetime, zone: str = "Europe/Paris", **extra: object) -> Event:
    return actions.create_event(
        host,
        title=str(extra.pop("title", "Seed swap")),
        starts_at=when,
        time_zone=zone,
        **extra,  # type: ignore[arg-type]
    )


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (900, 300), "seagreen").save(buffer, format="PNG")
    return buffer.getvalue()


def test_create_an_event_from_the_form_and_find_it_on_its_page() -> None:
    ana = make_user("ana")
    web = _as(ana)
    form = text_of(web.get("/events/new"))
    assert 'type="datetime-local"' in form and '<option value="Europe/Paris"' in form
    made = web.post("/events/new", _form(online_url="https://meet.example.org/seeds"))
    assert made.status_code == 302, made.content[:800]
    event = Event.objects.get()
    assert made["Location"] == f"/events/{event.pk}"
    assert event.starts_at == datetime(YEAR, 1, 15, 18, 30, tzinfo=UTC)
    page = text_of(web.get(made["Location"]))
    assert "Winter seed swap" in page and "19:30–22:00 CET" in page and "(Europe/Paris)" in page
    assert "The old barn, Mill Lane" in page and 'href="https://meet.example.org/seeds"' in page
    assert "Bring seeds in envelopes." in page and ">Edit</a>" in page
    assert f'href="/events/{event.pk}/ics"' in page
    assert "Your event is ready" in page
    # The member's next event starts from the same time zone.
    again = text_of(web.get("/events/new"))
    assert '<option value="Europe/Paris" selected>' in again and "data-guess-zone" not in again


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"ends_at": f"{YEAR}-01-15T18:00"}, "The end must be after the start."),
        ({"online_url": "ftp://files.example.org/seeds"}, "Give a web address starting with"),
        ({"online_url": "javascript:alert(1)"}, "Give a web address starting with"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        ({"starts_at": "next tuesday"}, "Enter a date and time"),
        ({"starts_at": "0001-01-01T00:00"}, "Enter a date and time"),
        ({"starts_at": f"{YEAR - 3}-01-15T19:30"}, "The start must be in the future."),
        ({"title": ""}, "This field is required."),
        ({"starts_at": ""}, "This field is required."),
    ],
    ids=[
        "end_before_start",
        "ftp_link",
        "script_link",
        "unknown_zone",
        "words_for_a_date",
        "year_one",
        "past",
        "no_title",
        "no_start",
    ],
)
def test_bad_input_gets_field_errors_never_a_500(changes: dict[str, str], field_error: str) -> None:
    web = _as(make_user("ana"))
    answer = web.post("/events/new", _form(**changes))
    assert answer.status_code == 400
    page = text_of(answer)
    assert field_error in page
    field = next(iter(changes))
    assert re.search(rf'<div class="field has-error">\s*<label for="id_{field}"', page), field
    assert not Event.objects.exists()


def test_a_cover_picture_is_processed_and_a_non_picture_refused() -> None:
    web = _as(make_user("ana"))
    bad = web.post(
        "/events/new",
        {**_form(), "cover": SimpleUploadedFile("notes.png", b"not a picture", "image/png")},
    )
    assert bad.status_code == 400 and "not an image we can read" in text_of(bad)
    made = web.post(
        "/events/new", {**_form(), "cover": SimpleUploadedFile("cover.png", _png(), "image/png")}
    )
    assert made.status_code == 302
    event = Event.objects.get()
    assert event.cover.startswith("event-covers/") and event.cover.endswith(".jpg")
    assert 'class="event-cover"' in text_of(web.get(made["Location"]))
    edited = web.post(f"/events/{event.pk}/edit", {**_form(), "remove_cover": "on"}, follow=True)
    assert 'class="event-cover"' not in text_of(edited)


def _days(page: str) -> list[tuple[str, list[str]]]:
    """The calendar's day headings with the titles listed under each."""
    upcoming = page.split('id="upcoming-heading"', 1)[1]
    parts = re.split(r'<h3 class="event-day">([^<]+)</h3>', upcoming)
    return [
        (heading.strip(), re.findall(r'class="event-title">([^<]+)<', body))
        for heading, body in zip(parts[1::2], parts[2::2], strict=True)
    ]


def test_the_calendar_lists_upcoming_events_by_day_in_their_own_time_zone() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _event(ana, datetime(YEAR, 6, 10, 10, 0), title="Morning dig")  # 08:00 UTC
    _event(ana, datetime(YEAR, 6, 10, 18, 0), title="Evening walk")  # 16:00 UTC
    # 00:30 on the 11th in Paris is 22:30 UTC on the 10th: it belongs to the 11th.
    _event(ana, datetime(YEAR, 6, 11, 0, 30), title="Midnight owls")
    # 19:00 on the 10th in New York is 23:00 UTC, after the owls: still the 10th.
    _event(ana, datetime(YEAR, 6, 10, 19, 0), "America/New_York", title="Bronx meetup")
    gone = _event(ana, datetime(YEAR, 6, 12, 9, 0), title="Called off")
    actions.cancel_event(ana, gone)
    page = text_of(_as(sam).get("/events"))
    assert _days(page) == [
        (times.day_text(date(YEAR, 6, 10)), ["Morning dig", "Evening walk", "Bronx meetup"]),
        (times.day_text(date(YEAR, 6, 11)), ["Midnight owls"]),
    ]
    assert "19:00–20:00 EDT" in page and "00:30–01:30 CEST" in page
    assert "Going / interested" not in page  # sam answered nothing
    assert _days(text_of(_as(None).get("/events")))[0][1][0] == "Morning dig"  # visitors too


def test_the_viewers_own_events_come_first_and_later_pages_follow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    first = _event(ana, datetime(YEAR, 3, 1, 10, 0), title="Pruning class")
    _event(ana, datetime(YEAR, 3, 2, 10, 0), title="Compost talk")
    third = _event(ana, datetime(YEAR, 3, 3, 10, 0), title="Tool library")
    actions.answer_event(sam, third, Answer.INTERESTED)
    actions.answer_event(sam, first, Answer.NOT_GOING)
    monkeypatch.setattr(event_views, "PAGE_SIZE", 2)
    page = text_of(_as(sam).get("/events"))
    mine, upcoming = page.split('id="upcoming-heading"', 1)
    assert "Going / interested" in mine and "Tool library" in mine and "Pruning" not in mine
    assert [titles for _, titles in _days(page)] == [["Pruning class"], ["Compost talk"]]
    assert ">Not going</span>" in upcoming  # sam's answer, beside the event
    later = re.search(r'href="\?after=(\d+)">Later events', page)
    assert later is not None
    rest = text_of(_as(sam).get(f"/events?after={later.group(1)}"))
    assert [titles for _, titles in _days(rest)] == [["Tool library"]]
    assert "Going / interested" not in rest and "Later events" not in rest


def test_answering_works_with_plain_form_posts() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    event = _event(ana, datetime(YEAR, 5, 1, 14, 0), title="May Day fair")
    sam_web = _as(sam)
    url = f"/events/{event.pk}"
    page = text_of(sam_web.get(url))
    assert page.count(f'action="{url}/answer"') == 3  # going, interested, not going
    answered = sam_web.post(f"{url}/answer", {"answer": "going"})
    assert answered.status_code == 302 and answered["Location"] == url
    page = text_of(sam_web.get(url))
    assert re.search(r'aria-pressed="true">Going<', page)
    assert "<strong>1</strong> going" in page and "@sam" in page.split('id="going-heading"')[1]
    assert "remind you the day before." in page
    sam_web.post(f"{url}/answer", {"answer": "not_going"})
    page = text_of(sam_web.get(url))
    assert "<strong>0</strong> going" in page and re.search(r'aria-pressed="true">Not going<', page)
    sam_web.post(f"{url}/answer", {"answer": "none"})
    assert "Your answer:" not in text_of(sam_web.get(url))
    sam_web.post(f"{url}/answer", {"answer": "maybe"})
    assert "Choose going, interested or not going." in text_of(sam_web.get(url))
    visitor = _as(None).post(f"{url}/answer", {"answer": "going"})
    assert visitor.status_code == 302 and visitor["Location"].startswith("/login")
    assert "Log in</a> to answer" in text_of(_as(None).get(url))


def test_the_hosts_edit_cancel_and_delete_from_the_pages() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    event = _event(ana, datetime(YEAR, 1, 15, 19, 30), title="Winter seed swap")
    url = f"/events/{event.pk}"
    form = text_of(_as(ana).get(f"{url}/edit"))
    assert (
        f'value="{YEAR}-01-15T19:30"' in form and '<option value="Europe/Paris" selected>' in form
    )
    assert _as(sam).get(f"{url}/edit").status_code == 403
    assert _as(sam).post(f"{url}/edit", _form(title="Mine")).status_code == 403
    assert ">Edit</a>" not in text_of(_as(sam).get(url))
    # The same wall-clock time, in New York: a new moment.
    saved = _as(ana).post(f"{url}/edit", _form(time_zone="America/New_York", ends_at=""))
    assert saved.status_code == 302
    event.refresh_from_db()
    assert event.starts_at == datetime(YEAR, 1, 16, 0, 30, tzinfo=UTC)
    assert event.ends_at == event.starts_at + timedelta(hours=1)
    bad = _as(ana).post(f"{url}/edit", _form(ends_at=f"{YEAR}-01-15T19:00"))
    assert bad.status_code == 400 and "The end must be after the start." in text_of(bad)
    assert _as(sam).post(f"{url}/cancel").status_code == 302
    assert Event.objects.get(pk=event.pk).cancelled_at is None  # sam may not
    _as(ana).post(f"{url}/cancel")
    page = text_of(_as(sam).get(url))
    assert 'class="event-tag cancelled">Cancelled<' in page and "/answer" not in page
    assert "Winter seed swap" not in text_of(_as(sam).get("/events"))
    _as(sam).post(f"{url}/delete")
    assert Event.objects.filter(pk=event.pk).exists()
    deleted = _as(ana).post(f"{url}/delete")
    assert deleted.status_code == 302 and deleted["Location"] == "/events"
    assert _as(ana).get(url).status_code == 404


def test_a_secret_groups_event_does_not_exist_for_outsiders() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    group = group_actions.create_group(
        ana, name="Hush Plot", handle="hushplot", privacy=GroupPrivacy.SECRET
    )
    group_actions.invite(ana, group, kit)
    group_actions.join(kit, group)
    event = _event(ana, datetime(YEAR, 4, 4, 10, 0), title="Quiet harvest", group=group)
    url = f"/events/{event.pk}"
    outsider = _as(sam)
    for path in (url, f"{url}/ics", f"{url}/edit", "/events?group=hushplot"):
        assert outsider.get(path).status_code == 404, path
    for path in (f"{url}/answer", f"{url}/cancel", f"{url}/delete", f"{url}/edit"):
        assert outsider.post(path, {"answer": "going"}).status_code == 404, path
    assert _as(None).get(url).status_code == 404
    assert "Quiet harvest" not in text_of(outsider.get("/events"))
    assert Event.objects.filter(pk=event.pk, cancelled_at__isnull=True).exists()
    assert "Quiet harvest" in text_of(_as(kit).get(url))
    assert "Quiet harvest" in text_of(_as(kit).get("/events?group=hushplot"))


def test_a_groups_members_create_its_events_from_the_group() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    group = group_actions.create_group(ana, name="Riverside Allotments", handle="riverside")
    listing = text_of(_as(ana).get("/events?group=riverside"))
    assert 'href="/events/new?group=riverside"' in listing
    form = text_of(_as(ana).get("/events/new?group=Riverside"))
    assert '<option value="riverside" selected>Riverside Allotments (group)</option>' in form
    made = _as(ana).post("/events/new", _form(group="riverside"))
    assert made.status_code == 302
    assert Event.objects.get().group == group
    refused = _as(sam).post("/events/new", _form(group="riverside"))
    assert refused.status_code == 400 and "Select a valid choice" in text_of(refused)
    assert 'href="/events/new?group=riverside"' not in text_of(
        _as(sam).get("/events?group=riverside")
    )
    assert "Winter seed swap" in text_of(_as(sam).get("/events?group=riverside"))


def test_the_upcoming_listing_for_group_and_profile_pages() -> None:
    ana = make_user("ana")
    group = group_actions.create_group(ana, name="Riverside Allotments", handle="riverside")
    for day in (1, 2, 3, 4):
        _event(ana, datetime(YEAR, 9, day, 18, 0), title=f"Plot night {day}", group=group)
    request = RequestFactory().get("/g/riverside")
    request.user = ana
    events = queries.upcoming_for_group(ana, group)
    assert [e.title for e in events] == ["Plot night 1", "Plot night 2", "Plot night 3"]
    html = render_to_string(
        "web/events/_upcoming.html", {"events": events, "group": group}, request=request
    )
    assert "Plot night 3" in html and "Plot night 4" not in html
    assert f"{times.short_day_text(date(YEAR, 9, 1))}, 18:00 CEST" in html
    assert 'href="/events?group=riverside"' in html
    assert [e.title for e in queries.upcoming_for_host(None, ana, limit=1)] == ["Plot night 1"]
    site_actions.set_feature("events", enabled=False)
    off = render_to_string(
        "web/events/_upcoming.html", {"events": events, "group": group}, request=request
    )
    assert off.strip() == ""


def _unfold(body: str) -> list[str]:
    return re.sub(r"\r\n[ \t]", "", body).split("\r\n")


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_the_ics_file_follows_rfc_5545() -> None:
    ana = make_user("ana")
    description = (
        "Bring seeds, bulbs; cuttings \\ anything.\nSecond line: café, crème brûlée "
        "and 🌱 seedlings, and a long sentence that goes on to be folded over several lines."
    )
    event = _event(
        ana,
        datetime(YEAR, 1, 15, 19, 30),
        title="Seeds, bulbs & cuttings; swap \\ share",
        ends_at=datetime(YEAR, 1, 15, 22, 0),
        description=description,
        place="Hall 3, Mill Lane; Riverside",
    )
    answer = _as(None).get(f"/events/{event.pk}/ics")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/calendar")
    assert (
        answer["Content-Disposition"]
        == 'attachment; filename="seeds-bulbs-cuttings-swap-share.ics"'
    )
    raw = answer.content
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    physical = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in physical)
    assert any(line.startswith(b" ") for line in physical)  # something was folded
    for line in physical:
        line.decode("utf-8")  # no character cut in two
    lines = _unfold(raw.decode("utf-8"))[:-1]
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    props = dict(line.split(":", 1) for line in lines)
    assert props["VERSION"] == "2.0" and props["PRODID"]
    assert props["UID"] == f"{event.pk}@testserver"
    assert props["DTSTART"] == f"{YEAR}0115T183000Z"  # 19:30 in Paris, winter: UTC+1
    assert props["DTEND"] == f"{YEAR}0115T210000Z"
    assert re.fullmatch(r"\d{8}T\d{6}Z", props["DTSTAMP"])
    assert props["SUMMARY"] == "Seeds\\, bulbs & cuttings\\; swap \\\\ share"
    assert _unescape(props["SUMMARY"]) == event.title
    page_url = f"http://testserver/events/{event.pk}"
    assert "\n" not in props["DESCRIPTION"] and "\\n" in props["DESCRIPTION"]
    assert _unescape(props["DESCRIPTION"]) == f"{description}\n\n{page_url}"
    assert props["LOCATION"] == "Hall 3\\, Mill Lane\\; Riverside"
    assert props["URL"] == page_url
    assert props["STATUS"] == "CONFIRMED"
    actions.cancel_event(ana, event)
    cancelled = _unfold(_as(None).get(f"/events/{event.pk}/ics").content.decode())
    assert "STATUS:CANCELLED" in cancelled


def test_an_online_events_location_is_its_link() -> None:
    ana = make_user("ana")
    event = _event(
        ana, datetime(YEAR, 2, 2, 20, 0), title="Online", online_url="https://meet.example.org/a"
    )
    lines = _unfold(_as(ana).get(f"/events/{event.pk}/ics").content.decode())
    assert "LOCATION:https://meet.example.org/a" in lines


def test_the_operator_switch_removes_events_from_every_page_and_route() -> None:
    ana = make_user("ana")
    event = _event(ana, datetime(YEAR, 8, 8, 8, 0))
    web = _as(ana)
    assert ">Events</a>" in text_of(web.get("/"))
    site_actions.set_feature("events", enabled=False)
    assert ">Events</a>" not in text_of(web.get("/"))
    url = f"/events/{event.pk}"
    for path in ("/events", "/events/new", url, f"{url}/edit", f"{url}/ics"):
        assert web.get(path).status_code == 404, path
        assert _as(None).get(path).status_code == 404, path
    for path in ("/events/new", f"{url}/answer", f"{url}/edit", f"{url}/cancel", f"{url}/delete"):
        assert web.post(path, _form()).status_code == 404, path
    assert Event.objects.filter(pk=event.pk, cancelled_at__isnull=True).exists()
    site_actions.set_feature("events", enabled=True)
    assert web.get(url).status_code == 200


def test_odd_addresses_are_answered_without_errors() -> None:
    web = _as(make_user("ana"))
    for path in (
        "/events/99999999999999999999",
        "/events/123/ics",
        "/events?group=no_such_group",
        "/events?host=nobody_here",
    ):
        assert web.get(path).status_code == 404, path
    for path in ("/events?after=abc", "/events?after=-4", "/events?after=123"):
        assert web.get(path).status_code == 200, path
    assert web.post("/events/123/answer", {"answer": "going"}).status_code == 404
    assert web.get("/events/1/answer").status_code == 405
    visitor = _as(None).get("/events/new")
    assert visitor.status_code == 302 and visitor["Location"].startswith("/login")
