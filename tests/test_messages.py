"""Direct messages through the write layer and `messaging.queries`: who may start a
conversation (the recipient's setting, blocks), message requests, reading, unsending and
deleting, leaving, muting, group conversations and their size limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client, override_settings
from django.utils import timezone

from tests.factories import follow, make_user
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import MessagePolicy, User
from townsquare.graph import actions as graph
from townsquare.messaging import actions, queries
from townsquare.messaging.models import Conversation, Message, ParticipantState

pytestmark = pytest.mark.django_db


def _everyone(*people: User) -> None:
    for person in people:
        account_actions.set_privacy(person, message_policy=MessagePolicy.EVERYONE)


def _texts(member: User, conversation_id: int) -> list[str]:
    place = queries.current_participant(member, conversation_id)
    return [m.text for m in queries.messages_for(member, place)]


def test_a_one_to_one_conversation_reaches_the_inbox_and_reading_clears_the_count() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)  # sam follows ana: her message lands in his inbox (default setting)
    first = actions.start_conversation(ana, [sam], "Seedlings ready on Saturday?")
    assert [e.title for e in queries.inbox(sam)] == ["ana"]
    assert queries.unread_conversations(sam) == 1
    assert queries.unread_conversations(ana) == 0  # her own message is read
    actions.mark_read(sam, first.conversation_id)
    assert queries.unread_conversations(sam) == 0
    reply = actions.send_message(sam, first.conversation_id, "Yes, **ten** of them")
    assert reply.conversation_id == first.conversation_id
    assert queries.unread_conversations(ana) == 1
    # Writing again from the profile continues the same conversation.
    again = actions.start_conversation(ana, [sam], "Great, see you then")
    assert again.conversation_id == first.conversation_id
    assert Conversation.objects.count() == 1
    assert _texts(sam, first.conversation_id) == [
        "Seedlings ready on Saturday?",
        "Yes, **ten** of them",
        "Great, see you then",
    ]


def test_messages_are_rendered_as_safe_html_with_links() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(sam)
    message = actions.start_conversation(ana, [sam], "<script>x</script> see https://example.org")
    assert "<script>" not in message.html
    assert '<a href="https://example.org"' in message.html


def test_the_recipients_setting_decides_inbox_requests_or_refusal() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    # Default: people the recipient follows reach the inbox, others the requests.
    message = actions.start_conversation(ana, [sam], "Hello from the allotment")
    assert queries.inbox(sam) == []
    assert [e.title for e in queries.inbox(sam, requests=True)] == ["ana"]
    assert queries.request_count(sam) == 1
    assert queries.unread_conversations(sam) == 0  # requests do not count on the menu
    # Nobody: refused, with a reason the sender can read.
    account_actions.set_privacy(kit, message_policy=MessagePolicy.NOBODY)
    with pytest.raises(ValidationError, match="doesn't accept new conversations"):
        actions.start_conversation(ana, [kit], "Hi")
    # Everyone: straight to the inbox.
    _everyone(kit)
    actions.start_conversation(ana, [kit], "Hi again")
    assert [e.title for e in queries.inbox(kit)] == ["ana"]
    # A conversation already going on continues whatever the setting becomes.
    account_actions.set_privacy(sam, message_policy=MessagePolicy.NOBODY)
    actions.send_message(ana, message.conversation_id, "Still there?")


def test_a_request_is_read_unseen_until_accepted_and_declining_hides_it() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    message = actions.start_conversation(ana, [sam], "Swap seeds?")
    conversation_id = message.conversation_id
    place = queries.current_participant(ana, conversation_id)
    sam_web = Client()
    sam_web.force_login(sam)
    assert "Swap seeds?" in sam_web.get(f"/messages/{conversation_id}").content.decode()
    assert queries.read_receipts(ana, place) == []  # sam's reading revealed nothing
    assert actions.answer_request(sam, conversation_id, accept=True)
    assert not actions.answer_request(sam, conversation_id, accept=False)  # a stale Decline
    actions.mark_read(sam, conversation_id)
    assert [r.member.username for r in queries.read_receipts(ana, place)] == ["sam"]
    assert queries.read_receipts(ana, place)[0].last_read_id == message.pk

    kit = make_user("kit")
    other = actions.start_conversation(kit, [sam], "Buy my tomatoes")
    actions.answer_request(sam, other.conversation_id, accept=False)
    actions.send_message(kit, other.conversation_id, "Please?")
    assert queries.inbox(sam, requests=True) == []
    assert [e.title for e in queries.inbox(sam)] == ["ana"]


def test_replying_to_a_request_accepts_it() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    message = actions.start_conversation(ana, [sam], "Hello")
    actions.send_message(sam, message.conversation_id, "Hello back")
    assert queries.current_participant(sam, message.conversation_id).state == (
        ParticipantState.ACCEPTED
    )


def test_blocks_stop_new_and_continuing_conversations() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(ana, sam)
    message = actions.start_conversation(ana, [sam], "Hi")
    graph.block(sam, ana)
    with pytest.raises(ValidationError, match="can't message"):
        actions.start_conversation(ana, [sam], "Hi?")
    with pytest.raises(ValidationError, match="can't message"):
        actions.send_message(ana, message.conversation_id, "Hello?")
    with pytest.raises(ValidationError, match="can't message"):
        actions.send_message(sam, message.conversation_id, "Go away")  # either way


def test_in_a_group_a_blocked_members_messages_are_hidden_from_the_blocker() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    _everyone(ana, sam, kit)
    message = actions.start_conversation(ana, [sam, kit], "Work party on Sunday", title="Plot 7")
    graph.block(kit, sam)
    actions.send_message(sam, message.conversation_id, "I'll bring the shears")
    assert _texts(ana, message.conversation_id)[-1] == "I'll bring the shears"
    assert "I'll bring the shears" not in _texts(kit, message.conversation_id)
    lee = make_user("lee")
    graph.block(lee, ana)
    with pytest.raises(ValidationError, match="can't message"):
        actions.add_people(ana, message.conversation_id, [lee])


def test_only_current_participants_can_read_or_write() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    _everyone(sam)
    message = actions.start_conversation(ana, [sam], "Just between us")
    with pytest.raises(Http404):
        queries.current_participant(kit, message.conversation_id)
    with pytest.raises(Http404):
        actions.send_message(kit, message.conversation_id, "Let me in")
    with pytest.raises(Http404):
        actions.unsend(kit, message.pk)
    with pytest.raises(Http404):
        actions.delete_for_me(kit, message.pk)


def test_unsend_within_the_window_erases_the_text_for_everyone() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(sam)
    message = actions.start_conversation(ana, [sam], "Wrong plot number, sorry")
    with pytest.raises(ValidationError, match="Only the sender"):
        actions.unsend(sam, message.pk)
    actions.unsend(ana, message.pk)
    stored = Message.objects.get(pk=message.pk)
    assert stored.unsent_at is not None and stored.text == "" and stored.html == ""
    assert queries.inbox(sam)[0].snippet == "Message unsent"

    old = actions.send_message(ana, message.conversation_id, "Said long ago")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=61))
    with pytest.raises(ValidationError, match="within 60 minutes"):
        actions.unsend(ana, old.pk)
    with override_settings(TOWNSQUARE={**_townsquare(), "MESSAGE_UNSEND_MINUTES": 120}):
        actions.unsend(ana, old.pk)


def _townsquare() -> dict[str, object]:
    from django.conf import settings

    return dict(settings.TOWNSQUARE)


def test_delete_for_me_hides_a_message_only_for_me() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(sam)
    message = actions.start_conversation(ana, [sam], "Compost delivery at 9")
    actions.delete_for_me(sam, message.pk)
    assert _texts(sam, message.conversation_id) == []
    assert _texts(ana, message.conversation_id) == ["Compost delivery at 9"]


def test_deleting_a_one_to_one_conversation_clears_it_until_the_next_message() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(sam)
    message = actions.start_conversation(ana, [sam], "Old news")
    actions.leave(sam, message.conversation_id)
    assert queries.inbox(sam) == []
    actions.send_message(ana, message.conversation_id, "New news")
    assert [e.snippet for e in queries.inbox(sam)] == ["New news"]
    assert _texts(sam, message.conversation_id) == ["New news"]
    assert _texts(ana, message.conversation_id) == ["Old news", "New news"]


def test_leaving_a_group_ends_access_and_tells_the_others() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    _everyone(sam, kit)
    message = actions.start_conversation(ana, [sam, kit], "Seed swap planning")
    actions.leave(kit, message.conversation_id)
    with pytest.raises(Http404):
        queries.current_participant(kit, message.conversation_id)
    place = queries.current_participant(ana, message.conversation_id)
    shown = queries.messages_for(ana, place)
    assert [(m.sender.username, m.kind) for m in shown][-1] == ("kit", 2)
    assert [e.title for e in queries.inbox(ana)] == ["sam"]
    # Added back later, kit sees only what is said from then on.
    actions.add_people(ana, message.conversation_id, [kit])
    actions.send_message(sam, message.conversation_id, "Welcome back")
    assert _texts(kit, message.conversation_id)[-1] == "Welcome back"
    assert "Seed swap planning" not in _texts(kit, message.conversation_id)


def test_a_muted_conversation_does_not_count_on_the_menu() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(sam)
    message = actions.start_conversation(ana, [sam], "Hi")
    actions.set_muted(sam, message.conversation_id, muted=True)
    assert queries.unread_conversations(sam) == 0
    assert queries.inbox(sam)[0].muted and queries.inbox(sam)[0].unread
    actions.set_muted(sam, message.conversation_id, muted=False)
    assert queries.unread_conversations(sam) == 1


@override_settings()
def test_group_conversations_are_limited_in_size() -> None:
    from django.conf import settings

    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "MAX_CONVERSATION_MEMBERS": 3}
    ana, sam, kit, lee = (make_user(n) for n in ("ana", "sam", "kit", "lee"))
    _everyone(sam, kit, lee)
    with pytest.raises(ValidationError, match="at most 3 people"):
        actions.start_conversation(ana, [sam, kit, lee], "Too many")
    message = actions.start_conversation(ana, [sam, kit], "Just right")
    with pytest.raises(ValidationError, match="at most 3 people"):
        actions.add_people(ana, message.conversation_id, [lee])


def test_bad_input_is_refused_with_a_reason_and_writes_nothing() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(sam)
    with pytest.raises(ValidationError, match="Write a message first"):
        actions.start_conversation(ana, [sam], "   ")
    with pytest.raises(ValidationError, match="at most 5,000 characters"):
        actions.start_conversation(ana, [sam], "x" * 5001)
    with pytest.raises(ValidationError, match="someone other than you"):
        actions.start_conversation(ana, [ana], "Note to self")
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_a_group_never_joins_a_blocker_with_the_member_they_blocked() -> None:
    ana, sam, kit, lee = (make_user(n) for n in ("ana", "sam", "kit", "lee"))
    _everyone(sam, kit, lee)
    graph.block(sam, kit)  # sam blocked kit; ana knows both
    with pytest.raises(ValidationError, match="can't join this conversation"):
        actions.start_conversation(ana, [sam, kit], "Plot party")
    message = actions.start_conversation(ana, [sam, lee], "Plot party")
    with pytest.raises(ValidationError, match="kit can't join this conversation"):
        actions.add_people(lee, message.conversation_id, [kit])
    assert not Conversation.objects.filter(participants__member=kit).exists()


def test_a_block_after_joining_hides_the_blocked_member_everywhere_in_the_group() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    _everyone(sam, kit)
    message = actions.start_conversation(ana, [sam, kit], "Work party", title="Plot 7")
    cid = message.conversation_id
    actions.mark_read(kit, cid)
    graph.block(sam, kit)
    actions.send_message(kit, cid, "Count me in")
    sam_place = queries.current_participant(sam, cid)
    assert [o.username for o in queries.others_in([cid], sam)[cid]] == ["ana"]
    assert [r.member.username for r in queries.read_receipts(sam, sam_place)] == ["ana"]
    actions.mark_read(sam, cid)
    # kit's message is all that is new for sam, and sam does not see it: nothing unread.
    assert queries.unread_conversations(ana) == 1
    assert queries.unread_conversations(sam) == 0
    assert not queries.inbox(sam)[0].unread


def test_a_message_deleted_for_me_does_not_count_as_unread() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(sam)
    message = actions.start_conversation(ana, [sam], "Oops")
    actions.delete_for_me(sam, message.pk)
    assert queries.unread_conversations(sam) == 0


def test_reading_marks_only_what_the_page_showed() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(sam)
    first = actions.start_conversation(ana, [sam], "One")
    actions.send_message(ana, first.conversation_id, "Two, sent while sam's page loaded")
    actions.mark_read(sam, first.conversation_id, up_to=first.pk)
    assert queries.unread_conversations(sam) == 1
    place = queries.current_participant(ana, first.conversation_id)
    assert queries.read_receipts(ana, place)[0].last_read_id == first.pk


def test_deleting_a_conversation_for_me_does_not_tell_the_sender_it_was_seen() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(sam)
    message = actions.start_conversation(ana, [sam], "Unread and deleted")
    actions.leave(sam, message.conversation_id)
    place = queries.current_participant(ana, message.conversation_id)
    assert queries.read_receipts(ana, place)[0].last_read_id == 0


def test_two_people_starting_the_same_conversation_at_once_share_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _everyone(ana, sam)
    actions.start_conversation(sam, [ana], "Hello ana")
    real = queries.pair_conversation
    calls: list[int] = []

    def missed_once(first: User, second: User) -> Conversation | None:
        calls.append(1)
        return None if len(calls) == 1 else real(first, second)  # as if not committed yet

    monkeypatch.setattr(queries, "pair_conversation", missed_once)
    reply = actions.start_conversation(ana, [sam], "Hello sam")
    assert Conversation.objects.count() == 1
    assert reply.conversation_id == Conversation.objects.get().pk
    assert [m.text for m in Message.objects.order_by("id")] == ["Hello ana", "Hello sam"]


def test_leaving_twice_writes_one_line() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    _everyone(sam, kit)
    message = actions.start_conversation(ana, [sam, kit], "Hi all")
    actions.leave(kit, message.conversation_id)
    with pytest.raises(Http404):
        actions.leave(kit, message.conversation_id)
    assert Message.objects.filter(kind=2).count() == 1
