"""Featured members (Mastodon's endorsements) and private notes about members, on the site:
what a profile shows, to whom, and the forms that change them (without JavaScript)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import text_of
from tests.factories import follow, make_user
from townsquare.graph import actions as graph
from townsquare.graph.models import AccountNote, Endorsement

pytestmark = pytest.mark.django_db


def test_a_member_features_someone_they_follow_and_visitors_see_it(client: Client) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    client.force_login(ana)
    assert "Feature on my profile" not in text_of(client.get("/@sam"))  # not followed yet
    assert client.post("/@sam/feature").status_code == 302
    assert not Endorsement.objects.exists()  # refused: a message, not a crash
    follow(ana, sam)
    assert "Feature on my profile" in text_of(client.get("/@sam"))
    client.post("/@sam/feature")
    assert "Stop featuring on my profile" in text_of(client.get("/@sam"))
    visitor_view = text_of(Client().get("/@ana"))
    assert "Featured by ana" in visitor_view and "@sam" in visitor_view
    client.post("/@sam/unfeature")
    assert "Featured by" not in text_of(Client().get("/@ana"))


def test_featured_members_blocked_either_way_are_not_shown_to_the_viewer(client: Client) -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    follow(ana, sam)
    graph.endorse(ana, sam)
    graph.block(sam, kit)
    client.force_login(kit)
    assert "Featured by" not in text_of(client.get("/@ana"))
    assert "@sam" in text_of(Client().get("/@ana"))


def test_unfollowing_ends_featuring() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(ana, sam)
    graph.endorse(ana, sam)
    graph.unfollow(ana, sam)
    assert not Endorsement.objects.exists()
    with pytest.raises(ValidationError):
        graph.endorse(ana, ana)


def test_a_private_note_shows_to_its_author_only(client: Client) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    client.force_login(ana)
    client.post("/@sam/note", {"comment": "Lends the good\r\nwheelbarrow"})
    assert AccountNote.objects.get(author=ana, target=sam).comment == "Lends the good\nwheelbarrow"
    page = text_of(client.get("/@sam"))
    assert "Your note</strong> (only you see it): Lends the good<br>wheelbarrow" in page
    as_sam = Client()
    as_sam.force_login(sam)
    for other in (Client(), as_sam):  # a visitor, and the member the note is about
        assert "wheelbarrow" not in text_of(other.get("/@sam"))
    client.post("/@sam/note", {"comment": "   "})
    assert not AccountNote.objects.exists()
    client.post("/@sam/note", {"comment": "x" * 2001})
    assert not AccountNote.objects.exists()  # too long: a message, nothing saved
    client.post("/@sam/note", {"comment": "Keeps bees"})
    client.post("/@sam/note", {"comment": "Keeps\x00 wasps"})  # refused by the form ...
    assert AccountNote.objects.get().comment == "Keeps bees"  # ... and the note is kept
    client.post("/@sam/note", {"comment": ""})
    assert client.post("/@ana/note", {"comment": "me"}).status_code == 302
    assert not AccountNote.objects.exists()


def test_feature_and_note_forms_need_a_login_and_a_post() -> None:
    make_user("sam")
    anonymous = Client()
    for path in ("/@sam/feature", "/@sam/unfeature", "/@sam/note"):
        assert anonymous.post(path).status_code == 302  # to the login page
        assert anonymous.get(path).status_code in (302, 405)
    assert not Endorsement.objects.exists() and not AccountNote.objects.exists()
