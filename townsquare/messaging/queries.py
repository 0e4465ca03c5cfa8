"""Reading direct messages. The one place that decides who sees a conversation: its current
participants (not those who left, nor anyone else), each without the messages they deleted
for themselves, from before they cleared the conversation, or from members blocked either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from townsquare.accounts.models import MessagePolicy, User
from townsquare.core import words
from townsquare.graph.models import Block, Follow
from townsquare.graph.queries import blocked_either_way, is_blocked_between
from townsquare.media.models import MediaAttachment
from townsquare.messaging.models import (
    Conversation,
    HiddenMessage,
    Message,
    MessageKind,
    Participant,
    ParticipantState,
)

SNIPPET_LENGTH = 80


def pair_key(first_id: int, second_id: int) -> str:
    low, high = sorted((first_id, second_id))
    return f"{low}:{high}"


def arrival_state(sender: User, recipient: User) -> ParticipantState | str:
    """Where a new conversation from `sender` lands for `recipient`: their inbox, their
    message requests, or (a string) why `sender` may not start one with them at all."""
    if not recipient.is_active or recipient.is_page:  # nobody reads a page's inbox
        return _("%(name)s cannot receive messages.") % {"name": recipient.username}
    if is_blocked_between(sender.pk, recipient.pk):
        return _("You can't message %(name)s.") % {"name": recipient.username}
    policy = recipient.message_policy
    if policy == MessagePolicy.NOBODY:
        return _("%(name)s doesn't accept new conversations.") % {"name": recipient.username}
    if policy == MessagePolicy.FOLLOWING and not (
        Follow.objects.filter(follower=recipient, followee=sender).exists()
    ):
        return ParticipantState.REQUEST
    return ParticipantState.ACCEPTED


def blocked_pairs(newcomers: list[int], everyone: list[int]) -> list[int]:
    """The newcomers who blocked, or were blocked by, anyone else in `everyone`."""
    found = Block.objects.filter(
        Q(blocker_id__in=newcomers, blocked_id__in=everyone)
        | Q(blocked_id__in=newcomers, blocker_id__in=everyone)
    ).values_list("blocker_id", "blocked_id")
    wanted = set(newcomers)
    return sorted({a if a in wanted else b for a, b in found})


def current_participant(member: User, conversation_id: int) -> Participant:
    """The member's place in the conversation; Http404 when they are not (or no longer) in it,
    so a stranger cannot tell a conversation exists."""
    found = (
        Participant.objects.select_related("conversation")
        .filter(member=member, conversation_id=conversation_id, left_at__isnull=True)
        .first()
    )
    if found is None:
        raise Http404("No such conversation.")
    return found


def _shown_to(member: User, participant: Participant) -> Q:
    return (
        Q(conversation_id=participant.conversation_id, id__gt=participant.cleared_before_id)
        & ~Q(id__in=HiddenMessage.objects.filter(member=member).values("message_id"))
        & ~blocked_either_way(member.pk, "sender_id")
    )


def messages_for(
    member: User, participant: Participant, *, before_id: int | None = None, limit: int = 50
) -> list[Message]:
    """The newest `limit` messages the member sees (before `before_id`), oldest first."""
    images = MediaAttachment.objects.order_by("position")
    rows = (
        Message.objects.filter(_shown_to(member, participant))
        .select_related("sender")
        .prefetch_related(Prefetch("media_attachments", queryset=images))
    )
    if before_id is not None:
        rows = rows.filter(id__lt=before_id)
    return list(reversed(rows.order_by("-id")[:limit]))


@dataclass(frozen=True)
class InboxEntry:
    conversation: Conversation
    others: list[User]
    last_message: Message | None
    unread: bool
    muted: bool
    state: int

    @property
    def title(self) -> str:
        if self.conversation.title:
            return self.conversation.title
        if not self.others:
            return _("Only you")
        return words.listing([other.name for other in self.others])

    @property
    def snippet(self) -> str:
        message = self.last_message
        if message is None:
            return ""
        if message.unsent_at is not None:
            return _("Message unsent")
        if message.kind == MessageKind.LEFT:
            return _("%(name)s left") % {"name": message.sender.name}
        if message.kind == MessageKind.JOINED:
            return _("%(name)s added %(added)s") % {
                "name": message.sender.name,
                "added": message.text,
            }
        if not message.text:
            return _("Sent images")
        text = " ".join(message.text.split())
        return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1] + "…"


def others_in(conversation_ids: list[int], member: User) -> dict[int, list[User]]:
    """The other current participants of each conversation, in the order they joined."""
    found: dict[int, list[User]] = {cid: [] for cid in conversation_ids}
    rows = (
        Participant.objects.filter(conversation_id__in=conversation_ids, left_at__isnull=True)
        .exclude(member=member)
        .exclude(blocked_either_way(member.pk, "member_id"))
        .select_related("member")
        .order_by("joined_at", "id")
    )
    for row in rows:
        found[row.conversation_id].append(row.member)
    return found


def inbox(
    member: User, *, requests: bool = False, before_id: int | None = None, limit: int = 30
) -> list[InboxEntry]:
    """The member's conversations (or message requests), the latest activity first. A
    conversation the member cleared shows again once a newer message arrives."""
    state = ParticipantState.REQUEST if requests else ParticipantState.ACCEPTED
    rows = Participant.objects.filter(
        member=member,
        state=state,
        left_at__isnull=True,
        conversation__last_message_id__gt=F("cleared_before_id"),
    ).select_related("conversation")
    if before_id is not None:
        rows = rows.filter(conversation__last_message_id__lt=before_id)
    places = list(
        rows.annotate(newest_shown=_newest_shown(member)).order_by(
            "-conversation__last_message_id"
        )[:limit]
    )
    ids = [place.conversation_id for place in places]
    others = others_in(ids, member)
    newest = [place.newest_shown for place in places if place.newest_shown]
    latest = {
        m.conversation_id: m for m in Message.objects.filter(id__in=newest).select_related("sender")
    }
    return [
        InboxEntry(
            conversation=place.conversation,
            others=others[place.conversation_id],
            last_message=latest.get(place.conversation_id),
            unread=(place.newest_shown or 0) > place.last_read_id,
            muted=place.muted,
            state=place.state,
        )
        for place in places
    ]


def _newest_shown(member: User) -> Subquery:
    """For a Participant row: the id of the newest message its member sees."""
    return Subquery(
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"), id__gt=OuterRef("cleared_before_id")
        )
        .exclude(id__in=HiddenMessage.objects.filter(member=member).values("message_id"))
        .exclude(blocked_either_way(member.pk, "sender_id"))
        .order_by("-id")
        .values("id")[:1]
    )


# A conversation counts when it holds a message the member has not read and sees: not their
# own, not deleted for them, not from someone blocked either way, not before they cleared it.
_UNREAD_SQL = (
    "SELECT COUNT(*) FROM messaging_participant mp"
    " JOIN messaging_conversation mc ON mc.id = mp.conversation_id"
    " WHERE mp.member_id = %s AND mp.state = %s AND mp.left_at IS NULL AND NOT mp.muted"
    " AND mc.last_message_id > mp.last_read_id"
    " AND EXISTS (SELECT 1 FROM messaging_message m WHERE m.conversation_id = mp.conversation_id"
    " AND m.id > mp.last_read_id AND m.id > mp.cleared_before_id AND m.sender_id <> %s"
    " AND NOT EXISTS (SELECT 1 FROM messaging_hiddenmessage h"
    " WHERE h.member_id = %s AND h.message_id = m.id)"
    " AND NOT EXISTS (SELECT 1 FROM graph_block b WHERE b.blocker_id = %s"
    " AND b.blocked_id = m.sender_id)"
    " AND NOT EXISTS (SELECT 1 FROM graph_block b WHERE b.blocked_id = %s"
    " AND b.blocker_id = m.sender_id))"
)


def unread_conversations_sql(member: User) -> tuple[str, list[Any]]:
    """The statement counting the conversations in `member`'s inbox with messages they have
    not read (muted ones are not counted): the number on the menu."""
    me = member.pk
    return _UNREAD_SQL, [me, int(ParticipantState.ACCEPTED), me, me, me, me]


def unread_conversations(member: User) -> int:
    sql, params = unread_conversations_sql(member)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def request_count(member: User) -> int:
    return Participant.objects.filter(
        member=member,
        state=ParticipantState.REQUEST,
        left_at__isnull=True,
        conversation__last_message_id__gt=F("cleared_before_id"),
    ).count()


@dataclass(frozen=True)
class Receipt:
    member: User
    last_read_id: int


def read_receipts(member: User, participant: Participant) -> list[Receipt]:
    """What the others in the conversation have read. A recipient who has not accepted the
    conversation yet reveals nothing (as on other sites, a request is read unseen)."""
    rows = (
        Participant.objects.filter(
            conversation_id=participant.conversation_id,
            left_at__isnull=True,
            state=ParticipantState.ACCEPTED,
        )
        .exclude(member=member)
        .exclude(blocked_either_way(member.pk, "member_id"))
        .select_related("member")
        .order_by("joined_at", "id")
    )
    return [Receipt(row.member, row.last_read_id) for row in rows]


def pair_conversation(first: User, second: User) -> Conversation | None:
    return Conversation.objects.filter(pair_key=pair_key(first.pk, second.pk)).first()
