"""The direct-message pages, without JavaScript: writing from a profile, the inbox and its
count on the menu, read receipts, requests, unsending, privacy settings, the operator's switch,
and that messages never show anywhere public."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import text_of
from tests.factories import follow, make_post, make_user
from townsquare.accounts.models import MessagePolicy, User
from townsquare.messaging import actions
from townsquare.messaging.models import Conversation, Message
from townsquare.site import actions as site_actions

pytestmark = pytest.mark.django_db


def _as(member: User) -> Client:
    client = Client()
    client.force_login(member)
    return client


def _menu_count(page: str) -> str | None:
    found = re.search(
        r'>Messages<span data-badge="messages">(?: <span class="badge"[^>]*>(\d+)</span>)?</span></a>',
        page,
    )
    assert found, "the menu has a Messages link"
    return found.group(1)


def test_writing_from_a_profile_reaching_the_inbox_and_seen() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)
    ana_web, sam_web = _as(ana), _as(sam)
    profile = text_of(ana_web.get("/@sam"))
    assert 'href="/messages/new?to=sam">Message</a>' in profile
    form = text_of(ana_web.get("/messages/new?to=sam"))
    assert 'value="sam"' in form
    sent = ana_web.post("/messages/new", {"to": "@sam", "text": "Bring gloves on Saturday"})
    conversation = Conversation.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/messages/{conversation.pk}"

    home = text_of(sam_web.get("/"))
    assert _menu_count(home) == "1"
    inbox = text_of(sam_web.get("/messages"))
    assert "Bring gloves on Saturday" in inbox and "ana" in inbox
    assert "Seen" not in text_of(ana_web.get(f"/messages/{conversation.pk}"))
    page = text_of(sam_web.get(f"/messages/{conversation.pk}"))
    assert "Bring gloves on Saturday" in page
    assert _menu_count(text_of(sam_web.get("/"))) is None  # read now
    assert '<p class="seen">Seen</p>' in text_of(ana_web.get(f"/messages/{conversation.pk}"))

    reply = sam_web.post(f"/messages/{conversation.pk}/send", {"text": "Will do!"})
    assert reply.status_code == 302
    assert "Will do!" in text_of(ana_web.get(f"/messages/{conversation.pk}"))


def test_strangers_and_visitors_cannot_see_a_conversation() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    message = actions.start_conversation(ana, [sam], "Private plot plans")
    url = f"/messages/{message.conversation_id}"
    assert _as(kit).get(url).status_code == 404
    assert _as(kit).post(f"{url}/send", {"text": "hi"}).status_code == 404
    assert _as(kit).post(f"{url}/{message.pk}/unsend").status_code == 404
    visitor = Client().get(url)
    assert visitor.status_code == 302 and visitor["Location"].startswith("/login")
    assert Message.objects.count() == 1


def test_bad_input_gets_form_errors_not_a_crash() -> None:
    ana = make_user("ana")
    web = _as(ana)
    unknown = web.post("/messages/new", {"to": "nobody_here", "text": "Hello"})
    assert unknown.status_code == 400
    assert "No member is called nobody_here" in text_of(unknown)
    empty = web.post("/messages/new", {"to": "", "text": ""})
    assert empty.status_code == 400 and "This field is required" in text_of(empty)
    make_user("sam").__class__.objects.filter(username="sam").update(
        message_policy=MessagePolicy.NOBODY
    )
    refused = web.post("/messages/new", {"to": "sam", "text": "Hello"})
    assert refused.status_code == 400
    assert "sam doesn&#x27;t accept new conversations" in text_of(refused)
    assert not Conversation.objects.exists()
    bad_id = web.get("/messages/99999999999")
    assert bad_id.status_code == 404


def test_requests_wait_in_their_own_folder_until_accepted() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    message = actions.start_conversation(ana, [sam], "Seeds for sale")
    sam_web = _as(sam)
    assert "No conversations yet" in text_of(sam_web.get("/messages"))
    requests = text_of(sam_web.get("/messages/requests"))
    assert "Seeds for sale" in requests
    page = text_of(sam_web.get(f"/messages/{message.conversation_id}"))
    assert "This is a message request" in page
    answered = sam_web.post(f"/messages/{message.conversation_id}/answer", {"answer": "accept"})
    assert answered.status_code == 302
    assert "Seeds for sale" in text_of(sam_web.get("/messages"))


def test_unsend_and_delete_for_me_from_the_page() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)
    message = actions.start_conversation(ana, [sam], "Oops, wrong chat")
    url = f"/messages/{message.conversation_id}"
    ana_web, sam_web = _as(ana), _as(sam)
    assert "Unsend for everyone" in text_of(ana_web.get(url))
    assert "Unsend for everyone" not in text_of(sam_web.get(url))
    ana_web.post(f"{url}/{message.pk}/unsend")
    assert "This message was unsent." in text_of(sam_web.get(url))
    assert "Oops, wrong chat" not in text_of(sam_web.get(url))
    kept = actions.send_message(ana, message.conversation_id, "Tomatoes are in")
    sam_web.post(f"{url}/{kept.pk}/delete")
    assert "Tomatoes are in" not in text_of(sam_web.get(url))
    assert "Tomatoes are in" in text_of(ana_web.get(url))


def test_the_privacy_page_sets_who_may_write() -> None:
    sam = make_user("sam")
    web = _as(sam)
    page = text_of(web.get("/settings/privacy"))
    assert "Who can start a conversation with me" in page
    rest = {"connections_visibility": "0", "show_posts_to_visitors": "on"}
    saved = web.post("/settings/privacy", {"message_policy": str(MessagePolicy.EVERYONE), **rest})
    assert saved.status_code == 302
    sam.refresh_from_db()
    assert sam.message_policy == MessagePolicy.EVERYONE
    bad = web.post("/settings/privacy", {"message_policy": "7", **rest})
    assert bad.status_code == 400
    sam.refresh_from_db()
    assert sam.message_policy == MessagePolicy.EVERYONE


def test_the_operator_switch_removes_messages_from_every_page_and_route() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    message = actions.start_conversation(ana, [sam], "Hi")
    web = _as(ana)
    site_actions.set_feature("messages", enabled=False)
    home = text_of(web.get("/"))
    assert ">Messages" not in home
    assert "/messages/new" not in text_of(web.get("/@sam"))
    for url in (
        "/messages",
        "/messages/requests",
        "/messages/new",
        f"/messages/{message.conversation_id}",
    ):
        assert web.get(url).status_code == 404, url
    assert web.post(f"/messages/{message.conversation_id}/send", {"text": "x"}).status_code == 404
    site_actions.set_feature("messages", enabled=True)
    assert web.get("/messages").status_code == 200
    assert ">Messages" in text_of(web.get("/"))


def test_messages_never_show_in_public_surfaces_or_search() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)
    make_post(ana, "Public note about marrow beds")
    actions.start_conversation(ana, [sam], "Secret marrow fertiliser recipe")
    sam_web = _as(sam)
    surfaces = [
        sam_web.get("/"),
        sam_web.get("/public"),
        sam_web.get("/@ana"),
        sam_web.get("/search?q=marrow"),
        sam_web.get("/search?q=fertiliser&type=posts"),
        Client().get("/@ana"),
        Client().get("/public"),
    ]
    for response in surfaces:
        assert response.status_code == 200
        assert "recipe" not in text_of(response)
    assert "Public note about marrow beds" in text_of(sam_web.get("/search?q=marrow"))


def test_a_member_who_left_a_group_cannot_open_or_write_to_it() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    for person in (sam, kit):
        follow(person, ana)
    message = actions.start_conversation(ana, [sam, kit], "Harvest supper")
    url = f"/messages/{message.conversation_id}"
    kit_web = _as(kit)
    assert kit_web.post(f"{url}/leave").status_code == 302
    assert kit_web.get(url).status_code == 404
    assert kit_web.get(f"{url}/thread").status_code == 404
    assert kit_web.post(f"{url}/send", {"text": "Back?"}).status_code == 404
    assert "Harvest supper" not in text_of(kit_web.get("/messages"))


def test_oversized_recipient_lists_and_too_many_images_are_refused_early() -> None:
    ana = make_user("ana")
    web = _as(ana)
    long_list = web.post("/messages/new", {"to": "a" * 2001, "text": "Hi"})
    assert long_list.status_code == 400 and "At most 2,000 characters" in text_of(long_list)
    crowd = " ".join(f"member{i}" for i in range(40))
    many = web.post("/messages/new", {"to": crowd, "text": "Hi"})
    assert many.status_code == 400
    assert "at most 32 people" in text_of(many)
    assert not Conversation.objects.exists()
