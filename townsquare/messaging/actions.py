"""The write layer for direct messages: starting conversations, sending, reading, unsending
and deleting, leaving, muting, and answering message requests. Each change is one transaction;
a member outside a conversation gets Http404 (they cannot tell it exists), a refused change a
ValidationError whose message says why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from townsquare.accounts.models import User
from townsquare.accounts.queries import render_member_text
from townsquare.accounts.restrictions import check_can_write
from townsquare.core import ratelimit, words
from townsquare.graph.queries import is_blocked_between
from townsquare.media import actions as media_actions
from townsquare.messaging import queries
from townsquare.messaging.models import (
    Conversation,
    HiddenMessage,
    Message,
    MessageKind,
    Participant,
    ParticipantState,
)
from townsquare.messaging.models.conversation import TITLE_MAX
from townsquare.messaging.models.message import MESSAGE_MAX
from townsquare.moderation import rules as content_rules
from townsquare.moderation.models import RuleSubject
from townsquare.realtime import live


def _clean_text(text: str, *, with_images: bool = False) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text and not with_images:
        raise ValidationError({"text": gettext("Write a message first.")})
    if len(text) > MESSAGE_MAX:
        raise ValidationError(
            {
                "text": gettext("Messages are at most %(most)s characters (%(count)s now).")
                % {"most": words.number(MESSAGE_MAX), "count": words.number(len(text))}
            }
        )
    return text


def _max_members() -> int:
    return int(settings.TOWNSQUARE["MAX_CONVERSATION_MEMBERS"])


def _write(
    conversation: Conversation,
    sender: User,
    text: str,
    kind: int = MessageKind.TEXT,
    media_ids: Sequence[int] = (),
    caught: content_rules.Decision | None = None,
) -> Message:
    """Store a message (with the sender's uploaded images) and move the conversation up the
    inbox, inside the caller's transaction. The sender has read their own message."""
    html = render_member_text(text).html if kind == MessageKind.TEXT and text else ""
    # One message at a time per conversation: ids then commit in order, so a reader who has
    # read up to one message never skips an earlier one that committed later.
    Conversation.objects.select_for_update().filter(pk=conversation.pk).exists()
    message = Message.objects.create(
        conversation=conversation, sender=sender, kind=kind, text=text, html=html
    )
    media_actions.attach_to_message(sender, message.pk, media_ids)
    if caught is not None:
        content_rules.apply(caught, subject_id=message.pk, account=sender)
    # Only ever forward (a message written a moment earlier elsewhere may commit later).
    Conversation.objects.filter(pk=conversation.pk, last_message_id__lt=message.pk).update(
        last_message_id=message.pk
    )
    _read_up_to(Participant.objects.filter(conversation=conversation, member=sender), message.pk)
    _tell_everyone(conversation.pk, "message", sender.pk)
    return message


def _present(conversation_id: int) -> list[int]:
    return list(
        Participant.objects.filter(conversation_id=conversation_id, left_at__isnull=True)
        .exclude(state=ParticipantState.DECLINED)
        .values_list("member_id", flat=True)
    )


def _tell_everyone(conversation_id: int, kind: str, actor_id: int, **data: object) -> None:
    """Tell the open pages of everyone in the conversation (the actor's other pages too)."""
    live.tell_pages(
        _present(conversation_id),
        kind,
        involves=[actor_id],
        conversation=str(conversation_id),
        **data,
    )


def _read_up_to(places: QuerySet[Participant], message_id: int) -> None:
    places.filter(last_read_id__lt=message_id).update(last_read_id=message_id)


def _recipients(
    sender: User, people: Sequence[User], *, present: Sequence[int] = ()
) -> list[tuple[User, ParticipantState]]:
    """Each distinct newcomer with where the conversation lands for them; refuses the whole
    change when the conversation would be too big, when any newcomer may not receive it
    from the sender, or (in a group) when a newcomer and anyone else in it blocked the other.
    `present`: the ids of those already in the conversation, the sender included."""
    seen: dict[int, User] = {}
    for person in people:
        if person.pk != sender.pk and person.pk not in present:
            seen.setdefault(person.pk, person)
    if not seen:
        raise ValidationError({"to": gettext("Choose who to write to (someone other than you).")})
    size = len(seen) + max(len(present), 1)
    if size > _max_members():
        raise ValidationError(
            {
                "to": ngettext(
                    "A conversation holds at most %(count)d person, you included.",
                    "A conversation holds at most %(count)d people, you included.",
                    _max_members(),
                )
                % {"count": _max_members()}
            }
        )
    placed = []
    for person in seen.values():
        state = queries.arrival_state(sender, person)
        if isinstance(state, str):
            raise ValidationError({"to": state})
        placed.append((person, state))
    if size > 2:
        everyone = {sender.pk, *present, *seen}
        blocked = queries.blocked_pairs(list(seen), list(everyone))
        if blocked:
            raise ValidationError(
                {
                    "to": gettext("%(name)s can't join this conversation.")
                    % {"name": seen[blocked[0]].username}
                }
            )
    return placed


def start_conversation(
    sender: User,
    people: Sequence[User],
    text: str,
    *,
    title: str = "",
    media_ids: Sequence[int] = (),
) -> Message:
    """Write to one person (continuing the conversation the two already have) or start a
    group conversation with several. Lands in each recipient's inbox or message requests,
    as their setting says; refused when any recipient blocks or is blocked by the sender or
    takes no new conversations."""
    check_can_write(sender)
    text = _clean_text(text, with_images=bool(media_ids))
    title = " ".join((title or "").split())
    if len(title) > TITLE_MAX:
        raise ValidationError(
            {"title": gettext("Titles are at most %(count)d characters.") % {"count": TITLE_MAX}}
        )
    placed = _recipients(sender, people)
    if len(placed) == 1:
        existing = queries.pair_conversation(sender, placed[0][0])
        if existing is not None:
            return send_message(sender, existing.pk, text, media_ids=media_ids)
    caught = content_rules.check(RuleSubject.MESSAGES, sender, text)
    ratelimit.CONVERSATIONS_PER_ACCOUNT.hit(str(sender.pk))
    ratelimit.MESSAGES_PER_ACCOUNT.hit(str(sender.pk))
    is_group = len(placed) > 1
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                is_group=is_group,
                title=title if is_group else "",
                pair_key=None if is_group else queries.pair_key(sender.pk, placed[0][0].pk),
                created_by=sender,
            )
            Participant.objects.bulk_create(
                [Participant(conversation=conversation, member=sender)]
                + [
                    Participant(conversation=conversation, member=person, state=state)
                    for person, state in placed
                ]
            )
            return _write(conversation, sender, text, media_ids=media_ids, caught=caught)
    except IntegrityError:
        # The other person started the same one-to-one conversation at the same moment.
        existing = queries.pair_conversation(sender, placed[0][0])
        if existing is None or is_group:
            raise
        return send_message(sender, existing.pk, text, media_ids=media_ids)


def send_message(
    sender: User, conversation_id: int, text: str, *, media_ids: Sequence[int] = ()
) -> Message:
    """A new message in a conversation the sender is in. Answering a message request accepts
    it. In a one-to-one conversation a block either way stops new messages."""
    check_can_write(sender)
    text = _clean_text(text, with_images=bool(media_ids))
    caught = content_rules.check(RuleSubject.MESSAGES, sender, text)
    ratelimit.MESSAGES_PER_ACCOUNT.hit(str(sender.pk))
    with transaction.atomic():
        place = queries.current_participant(sender, conversation_id)
        conversation = place.conversation
        if not conversation.is_group:
            other = (
                Participant.objects.filter(conversation=conversation)
                .exclude(member=sender)
                .select_related("member")
                .first()
            )
            if other is None or not other.member.is_active:
                raise ValidationError(
                    {"text": gettext("This member can no longer receive messages.")}
                )
            if is_blocked_between(sender.pk, other.member_id):
                raise ValidationError(
                    {
                        "text": gettext("You can't message %(name)s.")
                        % {"name": other.member.username}
                    }
                )
        if place.state != ParticipantState.ACCEPTED:
            Participant.objects.filter(pk=place.pk).update(state=ParticipantState.ACCEPTED)
        return _write(conversation, sender, text, media_ids=media_ids, caught=caught)


def mark_read(member: User, conversation_id: int, *, up_to: int | None = None) -> None:
    """The member has read the conversation up to message `up_to` (the newest the page
    showed; everything so far when None)."""
    place = queries.current_participant(member, conversation_id)
    newest = place.conversation.last_message_id
    if up_to is not None:
        newest = min(newest, up_to)
    if place.last_read_id >= newest:
        return
    _read_up_to(Participant.objects.filter(pk=place.pk), newest)
    if place.state == ParticipantState.ACCEPTED:  # a request is read unseen
        _tell_everyone(conversation_id, "read", member.pk)


def typing(member: User, conversation_id: int) -> None:
    """Show the others in the conversation that the member is writing (nothing is stored)."""
    ratelimit.TYPING_PER_ACCOUNT.hit(str(member.pk))
    place = queries.current_participant(member, conversation_id)
    if place.state != ParticipantState.ACCEPTED:
        return
    others = [m for m in _present(conversation_id) if m != member.pk]
    live.tell_pages(
        others,
        "typing",
        involves=[member.pk],
        conversation=str(conversation_id),
        name=member.name,
    )


def _own_message(member: User, message_id: int) -> Message:
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise Http404("No such message.")
    queries.current_participant(member, message.conversation_id)
    return message


def unsend(member: User, message_id: int) -> None:
    """Take back one's own message for everyone, within the site's time window: its text
    is erased, and the conversation shows that a message was unsent."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        message = _own_message(member, message_id)
        if message.sender_id != member.pk or message.kind != MessageKind.TEXT:
            raise ValidationError(gettext("Only the sender can unsend a message."))
        if message.unsent_at is not None:
            return
        window = timedelta(minutes=settings.TOWNSQUARE["MESSAGE_UNSEND_MINUTES"])
        if timezone.now() - message.created_at > window:
            minutes = settings.TOWNSQUARE["MESSAGE_UNSEND_MINUTES"]
            raise ValidationError(
                ngettext(
                    "Messages can be unsent for everyone only within %(count)d minute; "
                    "you can still delete it for yourself.",
                    "Messages can be unsent for everyone only within %(count)d minutes; "
                    "you can still delete it for yourself.",
                    minutes,
                )
                % {"count": minutes}
            )
        Message.objects.filter(pk=message.pk).update(unsent_at=timezone.now(), text="", html="")
        media_actions.discard_for_messages([message.pk])
        _tell_everyone(message.conversation_id, "message", member.pk)


def delete_for_me(member: User, message_id: int) -> None:
    """Hide one message from the member's own view of the conversation."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    message = _own_message(member, message_id)
    HiddenMessage.objects.get_or_create(member=member, message=message)


def leave(member: User, conversation_id: int) -> None:
    """Leave a group conversation (the others see that you left; you no longer see it), or
    delete a one-to-one conversation for yourself (it comes back with the next message)."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        place = queries.current_participant(member, conversation_id)
        conversation = place.conversation
        if conversation.is_group:
            left = Participant.objects.filter(pk=place.pk, left_at__isnull=True).update(
                left_at=timezone.now()
            )
            if left:  # (a second request at the same moment finds it done)
                _write(conversation, member, "", kind=MessageKind.LEFT)
        else:
            # What was said is gone for this member; it is not marked read for the sender.
            newest = Conversation.objects.get(pk=conversation.pk).last_message_id
            Participant.objects.filter(pk=place.pk).update(cleared_before_id=newest)


def set_muted(member: User, conversation_id: int, *, muted: bool) -> None:
    """A muted conversation still collects messages but does not count on the menu."""
    place = queries.current_participant(member, conversation_id)
    Participant.objects.filter(pk=place.pk).update(muted=muted)


def answer_request(member: User, conversation_id: int, *, accept: bool) -> bool:
    """Move a message request to the inbox, or decline it (the sender is not told; later
    messages in it stay out of sight). False when it was no longer a request."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    place = queries.current_participant(member, conversation_id)
    state = ParticipantState.ACCEPTED if accept else ParticipantState.DECLINED
    return bool(
        Participant.objects.filter(pk=place.pk, state=ParticipantState.REQUEST).update(state=state)
    )


def add_people(member: User, conversation_id: int, people: Sequence[User]) -> None:
    """Add people to a group conversation (each lands in their inbox or requests, as for a
    new conversation). They see the messages sent from now on."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(member.pk))
    with transaction.atomic():
        place = queries.current_participant(member, conversation_id)
        conversation = Conversation.objects.select_for_update().get(pk=place.conversation_id)
        if not conversation.is_group:
            raise ValidationError(
                {"to": gettext("Start a new conversation to write to more people.")}
            )
        present = list(
            Participant.objects.filter(conversation=conversation, left_at__isnull=True)
            .exclude(state=ParticipantState.DECLINED)
            .values_list("member_id", flat=True)
        )
        placed = _recipients(member, people, present=present)
        newest = conversation.last_message_id
        for person, state in placed:
            Participant.objects.update_or_create(
                conversation=conversation,
                member=person,
                defaults={
                    "state": state,
                    "left_at": None,
                    "joined_at": timezone.now(),
                    "cleared_before_id": newest,
                    "last_read_id": newest,
                },
            )
        names = ", ".join(person.username for person, _ in placed)
        _write(conversation, member, names, kind=MessageKind.JOINED)
