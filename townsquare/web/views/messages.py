"""Direct-message pages: the inbox, message requests, a conversation, and the forms that
write, unsend, delete, leave, mute and answer requests. Every page works without JavaScript;
the whole area is a 404 while the operator has switched messages off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.accounts.models import User
from townsquare.core import words
from townsquare.core.ratelimit import RateLimited
from townsquare.media import actions as media_actions
from townsquare.media.render import gallery_html
from townsquare.messaging import actions, queries
from townsquare.messaging.models import Message, MessageKind, ParticipantState
from townsquare.web.message_forms import AddPeopleForm, MessageForm, NewConversationForm
from townsquare.web.views.common import apply_errors, feature_required, parse_id

FEATURE = "messages"


def _members_named(names: list[str]) -> tuple[list[User], list[str]]:
    """The active members with these (lower-case) usernames, and the names nobody has."""
    found = {
        member.lower: member
        for member in User.objects.annotate(lower=Lower("username")).filter(
            lower__in=names, is_active=True
        )
    }
    return [found[name] for name in names if name in found], [
        name for name in names if name not in found
    ]


def _no_such_members(unknown: list[str]) -> str:
    return ngettext(
        "No member is called %(names)s.", "No members are called %(names)s.", len(unknown)
    ) % {"names": words.listing(unknown)}


def _with_images(member: User, form: MessageForm, write: Callable[[list[int]], object]) -> object:
    """Upload the form's images, then write the message with them; a failure leaves no upload
    behind."""
    uploaded: list[int] = []
    try:
        for image in form.cleaned_data["images"]:
            try:
                uploaded.append(media_actions.upload(member, image).pk)
            except ValidationError as exc:
                raise ValidationError({"images": exc.messages}) from None
        return write(uploaded)
    except BaseException:
        media_actions.discard_uploads(member, uploaded)
        raise


def _conversation_url(conversation_id: int) -> str:
    return f"/messages/{conversation_id}"


def _inbox_page(request: HttpRequest, *, requests: bool) -> HttpResponse:
    assert isinstance(request.user, User)
    before_id = parse_id(request.GET.get("before"))
    limit = 30
    entries = queries.inbox(request.user, requests=requests, before_id=before_id, limit=limit)
    context = {
        "entries": entries,
        "requests_view": requests,
        "request_count": queries.request_count(request.user) if not requests else len(entries),
        "next_before": entries[-1].conversation.last_message_id if len(entries) == limit else None,
    }
    return render(request, "web/messages/inbox.html", context)


@feature_required(FEATURE)
@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return _inbox_page(request, requests=False)


@feature_required(FEATURE)
@login_required
@require_GET
def requests(request: HttpRequest) -> HttpResponse:
    return _inbox_page(request, requests=True)


@feature_required(FEATURE)
@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    if request.method != "POST":
        form = NewConversationForm(initial={"to": request.GET.get("to", "")})
        return render(request, "web/messages/new.html", {"form": form})
    form = NewConversationForm(request.POST, request.FILES)
    if form.is_valid():
        people, unknown = _members_named(form.cleaned_data["to"])
        if unknown:
            form.add_error("to", _no_such_members(unknown))
        else:
            data, member = form.cleaned_data, request.user
            try:
                message = _with_images(
                    member,
                    form,
                    lambda ids: actions.start_conversation(
                        member, people, data["text"], title=data["title"], media_ids=ids
                    ),
                )
                assert isinstance(message, Message)
            except ValidationError as exc:
                apply_errors(form, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                return redirect(_conversation_url(message.conversation_id))
    return render(request, "web/messages/new.html", {"form": form}, status=400)


def _conversation_context(request: HttpRequest, conversation_id: int) -> dict[str, object]:
    assert isinstance(request.user, User)
    place = queries.current_participant(request.user, conversation_id)
    before_id = parse_id(request.GET.get("before"))
    limit = 50
    shown = queries.messages_for(request.user, place, before_id=before_id, limit=limit)
    receipts = queries.read_receipts(request.user, place)
    others = queries.others_in([place.conversation_id], request.user)[place.conversation_id]
    window = timedelta(minutes=settings.TOWNSQUARE["MESSAGE_UNSEND_MINUTES"])
    now = timezone.now()
    mine = [m for m in shown if m.sender_id == request.user.pk and m.kind == MessageKind.TEXT]
    seen_by: list[str] = []
    if mine:
        last_mine = mine[-1].pk
        seen_by = [r.member.name for r in receipts if r.last_read_id >= last_mine]
    return {
        "place": place,
        "conversation": place.conversation,
        "others": others,
        "title": place.conversation.title
        or words.listing([o.name for o in others])
        or _("Only you"),
        "others_html": words.listing_html(
            [
                format_html(
                    '<a href="{}">@{}</a>', reverse("profile", args=[o.username]), o.username
                )
                for o in others
            ]
        ),
        "shown": [
            {
                "message": m,
                "gallery": gallery_html(list(m.media_attachments.all()), sensitive=False),
                "mine": m.sender_id == request.user.pk,
                "can_unsend": m.sender_id == request.user.pk
                and m.kind == MessageKind.TEXT
                and m.unsent_at is None
                and now - m.created_at <= window,
            }
            for m in shown
        ],
        "older_before": shown[0].pk if len(shown) == limit else None,
        "seen_by": seen_by,
        "last_mine_id": mine[-1].pk if mine else None,
        "is_request": place.state == ParticipantState.REQUEST,
        "form": MessageForm(),
        "add_form": AddPeopleForm(),
        "kinds": {"joined": MessageKind.JOINED, "left": MessageKind.LEFT},
    }


def _read_and_render(request: HttpRequest, conversation_id: int, template: str) -> HttpResponse:
    """The page (or its thread), marked read up to the newest message it shows (a request
    is read unseen; an older page marks nothing)."""
    assert isinstance(request.user, User)
    context = _conversation_context(request, conversation_id)
    shown: list[dict[str, Any]] = context["shown"]  # type: ignore[assignment]
    accepted = context["place"].state == ParticipantState.ACCEPTED  # type: ignore[attr-defined]
    if accepted and shown and "before" not in request.GET:
        actions.mark_read(request.user, conversation_id, up_to=shown[-1]["message"].pk)
    return render(request, template, context)


@feature_required(FEATURE)
@login_required
@require_GET
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _read_and_render(request, conversation_id, "web/messages/conversation.html")


@feature_required(FEATURE)
@login_required
@require_GET
def thread(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The messages alone, for an open page to show what arrived (read, as the page is)."""
    return _read_and_render(request, conversation_id, "web/messages/_thread.html")


@feature_required(FEATURE)
@login_required
@require_POST
def typing(request: HttpRequest, conversation_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    try:
        actions.typing(request.user, conversation_id)
    except RateLimited as exc:
        return HttpResponse(str(exc), status=429, content_type="text/plain")
    return HttpResponse(status=204)


@feature_required(FEATURE)
@login_required
@require_POST
def send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        member, text = request.user, form.cleaned_data["text"]
        try:
            _with_images(
                member,
                form,
                lambda ids: actions.send_message(member, conversation_id, text, media_ids=ids),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(_conversation_url(conversation_id))
    context = _conversation_context(request, conversation_id)
    context["form"] = form
    return render(request, "web/messages/conversation.html", context, status=400)


def _change(
    request: HttpRequest,
    conversation_id: int,
    change: Callable[[User], object],
    done: str,
    then: str | None = None,
) -> HttpResponse:
    assert isinstance(request.user, User)
    try:
        change(request.user)
    except ValidationError as exc:
        flash.error(request, exc.messages[0])
    except RateLimited as exc:
        flash.error(request, str(exc))
    else:
        if done:
            flash.success(request, done)
    return redirect(then or _conversation_url(conversation_id))


@feature_required(FEATURE)
@login_required
@require_POST
def unsend(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    return _change(
        request, conversation_id, lambda me: actions.unsend(me, message_id), _("Message unsent.")
    )


@feature_required(FEATURE)
@login_required
@require_POST
def delete_for_me(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    return _change(
        request,
        conversation_id,
        lambda me: actions.delete_for_me(me, message_id),
        _("Deleted for you; the others still see it."),
    )


@feature_required(FEATURE)
@login_required
@require_POST
def mute(request: HttpRequest, conversation_id: int) -> HttpResponse:
    muted = request.POST.get("muted", "1") == "1"
    return _change(
        request,
        conversation_id,
        lambda me: actions.set_muted(me, conversation_id, muted=muted),
        _("Conversation muted: it no longer counts on the menu.") if muted else _("Unmuted."),
    )


@feature_required(FEATURE)
@login_required
@require_POST
def leave(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _change(
        request,
        conversation_id,
        lambda me: actions.leave(me, conversation_id),
        _("Done: it is gone from your messages."),
        then="/messages",
    )


@feature_required(FEATURE)
@login_required
@require_POST
def answer(request: HttpRequest, conversation_id: int) -> HttpResponse:
    accept = request.POST.get("answer") == "accept"
    outcome: list[bool] = []
    response = _change(
        request,
        conversation_id,
        lambda me: outcome.append(actions.answer_request(me, conversation_id, accept=accept)),
        "",
        then=_conversation_url(conversation_id) if accept else "/messages/requests",
    )
    if outcome == [True]:
        flash.success(
            request,
            _("Moved to your messages.")
            if accept
            else _("Request declined; the sender is not told."),
        )
    elif outcome == [False]:
        flash.info(request, _("This conversation is no longer a request."))
    return response


@feature_required(FEATURE)
@login_required
@require_POST
def add_people(request: HttpRequest, conversation_id: int) -> HttpResponse:
    form = AddPeopleForm(request.POST)
    if not form.is_valid():
        flash.error(request, _("Name the people to add."))
        return redirect(_conversation_url(conversation_id))
    people, unknown = _members_named(form.cleaned_data["to"])
    if unknown:
        flash.error(request, _no_such_members(unknown))
        return redirect(_conversation_url(conversation_id))
    return _change(
        request,
        conversation_id,
        lambda me: actions.add_people(me, conversation_id, people),
        _("Added."),
    )
