"""Announcements: the banner at the top of every page (within its time window, until each
person dismisses it), the staff page that runs them, and Mastodon's announcements API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import api_as
from tests.conftest import client_of, text_of
from tests.factories import make_user
from townsquare.accounts.models import User
from townsquare.api.schemas.timelines import Announcement as AnnouncementSchema
from townsquare.site import announcements, state
from townsquare.site.models import Announcement

pytestmark = pytest.mark.django_db

SEED_SWAP = "Seed swap this Saturday at the community hall"


@pytest.fixture
def admin() -> User:
    return make_user("hazel", role="admin")


def _announce(text: str = SEED_SWAP, **window: object) -> Announcement:
    return announcements.create_announcement(None, text=text, publish=True, **window)  # type: ignore[arg-type]


def _banner(page: str) -> str:
    """The banner's part of a page ("" when there is none)."""
    start = page.find('<section class="announcements"')
    return "" if start < 0 else page[start : page.index("</section>", start)]


# --- the banner -------------------------------------------------------------------------------


def test_the_banner_shows_only_within_its_time_window(fern: User) -> None:
    now = timezone.now()
    _announce("Allotment AGM next week", starts_at=now + timedelta(hours=2))
    _announce("Last year's harvest fair", ends_at=now - timedelta(minutes=1))
    _announce(SEED_SWAP, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    for viewer in (fern, None):
        banner = _banner(text_of(client_of(viewer).get("/public")))
        assert SEED_SWAP in banner
        assert "Allotment AGM" not in banner and "harvest fair" not in banner
    # Once its start has come, the next one shows too (no change needed in between).
    later = now + timedelta(hours=3)
    assert [a.text for a in announcements.up(later)] == ["Allotment AGM next week"]


def test_drafts_are_not_shown_until_published(fern: User, admin: User) -> None:
    draft = announcements.create_announcement(admin, text="Compost delivery on Monday")
    assert "Compost delivery" not in text_of(client_of(fern).get("/public"))
    announcements.set_published(admin, draft.pk, published=True)
    assert "Compost delivery" in _banner(text_of(client_of(fern).get("/public")))
    announcements.set_published(admin, draft.pk, published=False)
    assert "Compost delivery" not in text_of(client_of(fern).get("/public"))


def test_dismissing_hides_it_for_that_member_only_without_javascript(fern: User) -> None:
    basil = make_user("basil")
    notice = _announce()
    fern_web = client_of(fern)
    closed = fern_web.post(f"/announcements/{notice.pk}/dismiss", {"next": "/public"})
    assert closed.status_code == 302 and closed["Location"] == "/public"
    assert SEED_SWAP not in text_of(fern_web.get("/public"))
    assert SEED_SWAP in _banner(text_of(client_of(basil).get("/public")))
    # Again: nothing changes, nothing breaks.
    assert fern_web.post(f"/announcements/{notice.pk}/dismiss").status_code == 302
    # A new announcement is shown to fern all the same.
    _announce("Tool library opens on Sunday")
    assert "Tool library" in _banner(text_of(fern_web.get("/public")))


def test_with_htmx_the_banner_is_removed_in_place(fern: User) -> None:
    notice = _announce()
    page = text_of(client_of(fern).get("/public"))
    assert f'hx-post="/announcements/{notice.pk}/dismiss"' in page
    answer = client_of(fern).post(f"/announcements/{notice.pk}/dismiss", HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and answer.content == b""


def test_a_visitor_dismisses_in_their_browser_only() -> None:
    notice = _announce()
    visitor, other_visitor = Client(), Client()
    assert SEED_SWAP in _banner(text_of(visitor.get("/public")))
    closed = visitor.post(f"/announcements/{notice.pk}/dismiss", {"next": "/public"})
    assert closed.status_code == 302
    assert SEED_SWAP not in text_of(visitor.get("/public"))
    assert SEED_SWAP in _banner(text_of(other_visitor.get("/public")))
    # Unknown announcements and drafts are a 404, for visitors and members alike.
    assert visitor.post("/announcements/12345/dismiss").status_code == 404
    draft = announcements.create_announcement(None, text="Not yet")
    assert visitor.post(f"/announcements/{draft.pk}/dismiss").status_code == 404
    assert client_of(make_user("rue")).post(f"/announcements/{draft.pk}/dismiss").status_code == 404


def test_markdown_is_rendered_and_sanitized(fern: User) -> None:
    _announce(
        "**Bring seeds** to [the hall](https://example.org/hall) "
        "<script>alert('x')</script> [trick](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    banner = _banner(text_of(client_of(fern).get("/public")))
    assert "<strong>Bring seeds</strong>" in banner
    assert 'href="https://example.org/hall"' in banner
    # Raw HTML stays text, and a javascript: link is no link.
    assert "<script" not in banner and "<img" not in banner and "onerror=alert(1)&gt;" in banner
    assert 'href="javascript' not in banner and "[trick](javascript:alert(1))" in banner


def test_the_banner_costs_a_query_only_when_an_announcement_is_up(
    fern: User, switches_read_once: None
) -> None:
    web = client_of(fern)
    web.get("/public")

    def count(client: Client) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/public").status_code == 200
        return len(queries.captured_queries)

    quiet_member, quiet_visitor = count(web), count(Client())
    _announce()
    state.current()  # read again (in service: once every few seconds per process)
    assert count(web) == quiet_member + 1  # the member's dismissals, one query
    assert count(Client()) == quiet_visitor  # a visitor's are in a cookie


# --- the staff page ---------------------------------------------------------------------------


def test_only_staff_with_the_permission_manage_announcements(fern: User, admin: User) -> None:
    moderator = make_user("sorrel", role="moderator")
    notice = _announce()
    for outsider in (fern, moderator):
        web = client_of(outsider)
        assert web.get("/admin/announcements").status_code == 403
        assert web.post("/admin/announcements", {"text": "Hello"}).status_code == 403
        assert web.post(f"/admin/announcements/{notice.pk}/delete").status_code == 403
        assert web.post(f"/admin/announcements/{notice.pk}/publish").status_code == 403
        assert web.get(f"/admin/announcements/{notice.pk}").status_code == 403
    assert Client().get("/admin/announcements").status_code == 302  # to the login page
    assert Announcement.objects.count() == 1
    with pytest.raises(PermissionDenied):
        announcements.create_announcement(fern, text="Hello")


def test_staff_create_edit_take_down_and_delete(admin: User, fern: User) -> None:
    web = client_of(admin)
    assert "New announcement" in text_of(web.get("/admin/announcements"))
    made = web.post(
        "/admin/announcements",
        {"text": "Hedge trimming day", "starts_at": "", "ends_at": "", "publish": "on"},
    )
    assert made.status_code == 302
    notice = Announcement.objects.get()
    assert notice.published
    assert "Hedge trimming day" in _banner(text_of(client_of(fern).get("/public")))
    edited = web.post(
        f"/admin/announcements/{notice.pk}",
        {"text": "Hedge trimming day moved to Sunday", "starts_at": "", "ends_at": ""},
    )
    assert edited.status_code == 302
    assert "moved to Sunday" in _banner(text_of(client_of(fern).get("/public")))
    web.post(f"/admin/announcements/{notice.pk}/publish", {"published": "0"})
    assert "Hedge trimming" not in text_of(client_of(fern).get("/public"))
    assert web.post(f"/admin/announcements/{notice.pk}/delete").status_code == 302
    assert not Announcement.objects.exists()
    # A draft is listed on the staff page, and is in no banner (not even there).
    web.post("/admin/announcements", {"text": "Plant sale draft", "starts_at": "", "ends_at": ""})
    staff_page = text_of(web.get("/admin/announcements"))
    assert "Plant sale draft" in staff_page and _banner(staff_page) == ""
    assert web.post(f"/admin/announcements/{notice.pk}/delete").status_code == 404


def test_bad_input_is_a_form_error(admin: User) -> None:
    web = client_of(admin)
    empty = web.post("/admin/announcements", {"text": "   ", "publish": "on"})
    assert empty.status_code == 200 and 'class="error"' in text_of(empty)
    backwards = web.post(
        "/admin/announcements",
        {"text": "Pruning class", "starts_at": "2026-12-05T10:00", "ends_at": "2026-12-04T10:00"},
    )
    assert backwards.status_code == 200
    assert "The end must come after the start." in text_of(backwards)
    nonsense = web.post("/admin/announcements", {"text": "Pruning", "starts_at": "tomorrowish"})
    assert nonsense.status_code == 200 and 'class="error"' in text_of(nonsense)
    assert not Announcement.objects.exists()


# --- the API ----------------------------------------------------------------------------------


def test_api_lists_announcements_up_and_dismisses_them(fern: User) -> None:
    start = timezone.now() - timedelta(hours=1)
    notice = _announce("**Seed swap** on Saturday", starts_at=start, all_day=True)
    announcements.create_announcement(None, text="A draft")
    _announce("Next month's fair", starts_at=timezone.now() + timedelta(days=20))
    api = api_as(fern)
    listed = api.get("/api/v1/announcements")
    assert listed.status_code == 200
    [entity] = listed.json()
    AnnouncementSchema.model_validate(entity)
    assert entity["id"] == str(notice.pk)
    assert entity["content"] == "<p><strong>Seed swap</strong> on Saturday</p>\n"
    assert entity["starts_at"].endswith("Z") and entity["ends_at"] is None
    assert entity["all_day"] is True and entity["read"] is False
    assert entity["published_at"] and entity["updated_at"]
    for empty in ("mentions", "statuses", "tags", "emojis", "reactions"):
        assert entity[empty] == []
    assert api.post(f"/api/v1/announcements/{notice.pk}/dismiss").json() == {}
    assert api.get("/api/v1/announcements").json() == []
    again = api.get("/api/v1/announcements", {"with_dismissed": "true"}).json()
    assert [a["read"] for a in again] == [True]
    # Another member still has it unread; the site's banner agrees with the API.
    assert len(api_as(make_user("basil")).get("/api/v1/announcements").json()) == 1
    assert "Seed swap" not in text_of(client_of(fern).get("/public"))


def test_api_dismissing_an_unknown_or_draft_announcement_is_a_404(fern: User) -> None:
    draft = announcements.create_announcement(None, text="A draft")
    api = api_as(fern)
    assert api.post(f"/api/v1/announcements/{draft.pk}/dismiss").status_code == 404
    assert api.post("/api/v1/announcements/999/dismiss").status_code == 404
    notice = _announce()
    reacted = api.put(f"/api/v1/announcements/{notice.pk}/reactions/%F0%9F%8C%B1")
    assert reacted.status_code == 422 and "error" in reacted.json()
