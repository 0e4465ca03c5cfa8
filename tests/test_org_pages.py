"""Pages (organizations, brands, public figures): creating one, its profile with posts and
followers, its team of admins and editors who post as it, editing it, what a page cannot do
(log in, take messages, befriend), and the operator's switch."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.conftest import client_of as _as
from tests.conftest import text_of
from tests.factories import follow, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.communities.actions import pages
from townsquare.communities.models import PageRole, PageRoleKind
from townsquare.graph.models import Follow, FollowRequest
from townsquare.messaging import actions as messaging
from townsquare.posts.models import Post
from townsquare.site import actions as site_actions

pytestmark = pytest.mark.django_db


def _garden_club() -> tuple[User, User]:
    """A page for the gardening club, created by Rosa through the web."""
    rosa = make_user("rosa")
    made = _as(rosa).post(
        "/pages/new",
        {"name": "Riverside Garden Club", "handle": "garden_club", "category": "Club",
         "description": "Seed swaps and working parties every Saturday."},
    )  # fmt: skip
    assert made.status_code == 302 and made["Location"] == "/@garden_club"
    return rosa, User.objects.get(username="garden_club")


def test_a_page_has_a_profile_its_team_posts_as_and_followers_read() -> None:
    rosa, page = _garden_club()
    assert page.is_page and page.page_category == "Club" and page.name == "Riverside Garden Club"
    sam = make_user("sam")
    follow(sam, page)
    profile = text_of(_as(rosa).get("/@garden_club"))
    assert "Page" in profile and "Club" in profile and "Seed swaps" in profile
    assert "You post here as" in profile and "Manage the page" in profile
    visitor_view = text_of(_as(sam).get("/@garden_club"))
    assert "You post here as" not in visitor_view and "Manage the page" not in visitor_view
    assert "/messages/new?to=garden_club" not in visitor_view  # nobody reads a page's inbox
    posted = _as(rosa).post(
        "/posts",
        {"text": "Seed swap this Saturday (pg-marker)", "visibility": "0",
         "as_account": str(page.pk), "next": "/@garden_club"},
    )  # fmt: skip
    assert posted.status_code == 302 and posted["Location"] == "/@garden_club"
    post = Post.objects.get(text__contains="pg-marker")
    assert post.author_id == page.pk
    run_jobs()
    assert "pg-marker" in text_of(_as(sam).get("/"))  # in the follower's home feed
    assert "pg-marker" in text_of(_as(None).get("/@garden_club"))
    assert "1</strong> follower<" in text_of(_as(None).get("/@garden_club"))
    assert "sam" in text_of(_as(None).get("/@garden_club/followers"))


def test_only_the_team_posts_as_the_page() -> None:
    rosa, page = _garden_club()
    sam, ed = make_user("sam"), make_user("ed")
    refused = _as(sam).post(
        "/posts", {"text": "Pretending", "visibility": "0", "as_account": str(page.pk)}
    )
    assert refused.status_code == 400 and "post as that account" in text_of(refused)
    assert not Post.objects.filter(author=page).exists()
    pages.add_to_team(rosa, page, ed, PageRoleKind.EDITOR)
    allowed = _as(ed).post(
        "/posts", {"text": "Editor's update", "visibility": "0", "as_account": str(page.pk)}
    )
    assert allowed.status_code == 302
    assert Post.objects.filter(author=page, text="Editor's update").exists()
    pages.remove_from_team(rosa, page, ed.pk)
    again = _as(ed).post(
        "/posts", {"text": "After leaving", "visibility": "0", "as_account": str(page.pk)}
    )
    assert again.status_code == 400


def test_admins_choose_the_team_and_a_page_always_keeps_an_admin() -> None:
    rosa, page = _garden_club()
    ed, sam = make_user("ed"), make_user("sam")
    assert _as(sam).get("/pages/garden_club/team").status_code == 403
    added = _as(rosa).post("/pages/garden_club/team/add", {"username": "@ed", "role": "0"})
    assert added.status_code == 302
    assert PageRole.objects.get(page=page, member=ed).role == PageRoleKind.EDITOR
    team = text_of(_as(ed).get("/pages/garden_club/team"))
    assert "Rosa" in team or "rosa" in team
    # An editor neither edits the page nor chooses its team.
    assert _as(ed).get("/pages/garden_club/edit").status_code == 403
    _as(ed).post("/pages/garden_club/team/add", {"username": "sam", "role": "1"})
    assert not PageRole.objects.filter(member=sam).exists()
    with pytest.raises(PermissionDenied):
        pages.add_to_team(ed, page, sam, PageRoleKind.EDITOR)
    # The only admin can neither leave nor step down.
    with pytest.raises(ValidationError, match="needs an admin"):
        pages.remove_from_team(rosa, page, rosa.pk)
    with pytest.raises(ValidationError, match="needs an admin"):
        pages.add_to_team(rosa, page, rosa, PageRoleKind.EDITOR)
    pages.add_to_team(rosa, page, ed, PageRoleKind.ADMIN)
    left = _as(rosa).post("/pages/garden_club/team/remove", {"member": rosa.pk})
    assert left.status_code == 302 and left["Location"] == "/pages"
    assert list(PageRole.objects.filter(page=page).values_list("member__username", flat=True)) == [
        "ed"
    ]
    # Nobody unknown is added; nor a page to another page's team.
    unknown = _as(ed).post("/pages/garden_club/team/add", {"username": "nobody", "role": "0"})
    assert unknown.status_code == 302 and PageRole.objects.filter(page=page).count() == 1


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 120), (80, 140, 60)).save(buffer, "PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def test_admins_edit_the_page_with_contact_links_and_pictures() -> None:
    rosa, page = _garden_club()
    saved = _as(rosa).post(
        "/pages/garden_club/edit",
        {"name": "Riverside Gardeners", "category": "Community", "description": "All welcome",
         "link_0_name": "Website", "link_0_value": "https://gardeners.example.org",
         "link_1_name": "Phone", "link_1_value": "01234 567890", "avatar": _png()},
    )  # fmt: skip
    assert saved.status_code == 302
    page.refresh_from_db()
    assert page.name == "Riverside Gardeners" and page.page_category == "Community"
    assert page.avatar
    profile = text_of(_as(None).get("/@garden_club"))
    assert "Website" in profile and 'href="https://gardeners.example.org"' in profile
    assert "01234 567890" in profile
    missing = _as(rosa).post("/pages/garden_club/edit", {"name": "X", "category": ""})
    assert missing.status_code == 400


def test_a_handle_is_shared_with_members_and_bad_input_is_a_form_error() -> None:
    make_user("fern")
    rosa = make_user("rosa")
    taken = _as(rosa).post("/pages/new", {"name": "Fern's", "handle": "fern", "category": "Club"})
    assert taken.status_code == 400 and "taken" in text_of(taken)
    bad = _as(rosa).post("/pages/new", {"name": "Club", "handle": "no spaces", "category": "Club"})
    assert bad.status_code == 400
    assert not User.objects.filter(is_page=True).exists()


def test_a_page_cannot_log_in_take_messages_or_be_befriended() -> None:
    rosa, page = _garden_club()
    page.set_password("a long enough password 123")
    page.save(update_fields=["password"])
    assert authenticate(username="garden_club", password="a long enough password 123") is None
    with pytest.raises(ValidationError, match="cannot receive messages"):
        messaging.start_conversation(rosa, [page], "Hello page")
    site_actions.set_feature("friends_mode", enabled=True)
    sam = make_user("sam")
    _as(sam).post("/@garden_club/follow")
    # In friends mode a page is still followed, never befriended.
    assert Follow.objects.filter(follower=sam, followee=page).exists()
    assert not Follow.objects.filter(follower=page, followee=sam).exists()
    assert not FollowRequest.objects.exists()
    assert "Add friend" not in text_of(_as(make_user("ivy")).get("/@garden_club"))


def test_the_directory_lists_pages_and_the_ones_you_run() -> None:
    rosa, page = _garden_club()
    mine = text_of(_as(rosa).get("/pages"))
    assert "Pages you run" in mine and "Riverside Garden Club" in mine
    assert "Pages you run" not in text_of(_as(make_user("sam")).get("/pages"))
    assert "Riverside Garden Club" in text_of(_as(None).get("/pages"))


def test_switching_pages_off_leaves_no_page_link_or_route() -> None:
    rosa, page = _garden_club()
    site_actions.set_feature("pages", enabled=False)
    for path in ("/pages", "/pages/new", "/pages/garden_club/team", "/pages/garden_club/edit"):
        assert _as(rosa).get(path).status_code == 404, path
    assert _as(rosa).get("/@garden_club").status_code == 404
    assert 'href="/pages"' not in text_of(_as(rosa).get("/"))
    refused = _as(rosa).post(
        "/posts", {"text": "While off", "visibility": "0", "as_account": str(page.pk)}
    )
    assert refused.status_code == 400
    site_actions.set_feature("pages", enabled=True)
    assert 'href="/pages"' in text_of(_as(rosa).get("/"))


def test_the_team_plans_events_hosted_by_the_page_and_followers_find_them() -> None:
    from townsquare.events.models import Event

    rosa, page = _garden_club()
    sam = make_user("sam")
    form = text_of(_as(rosa).get("/events/new?page=garden_club"))
    assert "Riverside Garden Club (page)" in form
    assert 'value="page:garden_club" selected' in form
    made = _as(rosa).post(
        "/events/new",
        {"group": "page:garden_club", "title": "Spring planting day",
         "starts_at": "2030-04-12T10:00", "ends_at": "2030-04-12T15:00",
         "time_zone": "Europe/London", "place": "Allotment gate", "online_url": "",
         "description": "Bring gloves."},
    )  # fmt: skip
    assert made.status_code == 302, text_of(made)[:400]
    event = Event.objects.get(title="Spring planting day")
    assert event.host_id == page.pk and event.created_by_id == rosa.pk
    assert "Spring planting day" in text_of(_as(sam).get("/@garden_club"))
    # Someone off the team cannot host as the page: the choice is not theirs to make.
    _as(sam).post(
        "/events/new",
        {"group": "page:garden_club", "title": "Not mine", "starts_at": "2030-04-13T10:00",
         "ends_at": "", "time_zone": "Europe/London", "place": "", "online_url": "",
         "description": ""},
    )  # fmt: skip
    assert not Event.objects.filter(title="Not mine", host=page).exists()


def test_an_event_reminder_reads_as_one_on_the_notifications_page() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from townsquare.events import actions as event_actions
    from townsquare.events.models import Answer

    ana, sam = make_user("ana"), make_user("sam")
    event = event_actions.create_event(
        ana,
        title="Chess by the river",
        starts_at=timezone.now() + timedelta(hours=3),
        time_zone="Europe/London",
    )
    event_actions.answer_event(sam, event, Answer.GOING)
    run_jobs()
    page = text_of(_as(sam).get("/notifications"))
    assert "Reminder: Chess by the river starts soon" in page
    assert f'href="/events/{event.pk}"' in page


def test_the_team_edits_and_deletes_the_pages_posts() -> None:
    rosa, page = _garden_club()
    ed, sam = make_user("ed"), make_user("sam")
    pages.add_to_team(rosa, page, ed, PageRoleKind.EDITOR)
    from townsquare.posts import actions as post_actions

    post = post_actions.create_post(page, text="Seed swap moved to Sunday")
    profile = text_of(_as(ed).get("/@garden_club"))
    assert f"/posts/{post.pk}/edit" in profile and f"/posts/{post.pk}/delete" in profile
    assert f"/posts/{post.pk}/delete" not in text_of(_as(sam).get("/@garden_club"))
    edited = _as(ed).post(
        f"/posts/{post.pk}/edit", {"text": "Seed swap moved to Sunday, 10am", "spoiler_text": ""}
    )
    assert edited.status_code == 302
    post.refresh_from_db()
    assert post.text.endswith("10am") and post.author_id == page.pk
    assert _as(sam).get(f"/posts/{post.pk}/edit").status_code == 404
    assert _as(sam).post(f"/posts/{post.pk}/delete").status_code == 403
    assert _as(ed).post(f"/posts/{post.pk}/delete").status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()


def test_switching_pages_off_hides_their_posts_lists_and_accounts_everywhere() -> None:
    from tests.api.conftest import make_token

    rosa, page = _garden_club()
    sam = make_user("sam")
    follow(sam, page)
    from townsquare.posts import actions as post_actions

    post = post_actions.create_post(page, text="Plant sale (page-off-marker)")
    run_jobs()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(sam)}")
    assert "page-off-marker" in text_of(_as(sam).get("/"))
    site_actions.set_feature("pages", enabled=False)
    for path in ("/@garden_club/followers", "/@garden_club/following"):
        assert _as(rosa).get(path).status_code == 404, path
    assert "page-off-marker" not in text_of(_as(sam).get("/"))
    assert _as(sam).get(f"/@garden_club/{post.pk}").status_code == 404
    assert api.get(f"/api/v1/accounts/{page.pk}").status_code == 404
    assert api.get("/api/v1/accounts/lookup", {"acct": "garden_club"}).status_code == 404
    assert api.get(f"/api/v1/statuses/{post.pk}").status_code == 404
    found = api.get("/api/v1/accounts/search", {"q": "garden"}).json()
    assert found == []
    site_actions.set_feature("pages", enabled=True)
    assert api.get(f"/api/v1/accounts/{page.pk}").status_code == 200


def test_the_team_reads_what_happened_to_the_page() -> None:
    rosa, page = _garden_club()
    sam = make_user("sam")
    follow(sam, page)
    from townsquare.posts import actions as post_actions

    post = post_actions.create_post(page, text="Who has spare bean canes?")
    post_actions.create_post(sam, text="I do!", in_reply_to=post)
    activity = text_of(_as(rosa).get("/pages/garden_club/team"))
    assert "What happened to the page" in activity
    assert "followed you" in activity and "replied to your post" in activity
    assert "Mark as read" not in activity
