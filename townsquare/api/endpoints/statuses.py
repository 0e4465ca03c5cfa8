"""Statuses: post (now or scheduled, with Idempotency-Key), read one or several, delete
(for delete-and-redraft), edit with its history and source, and the thread around one.
What members do with statuses (favourite, reblog, ...) is in status_actions.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from pydantic import Field, field_validator

from townsquare.accounts.models import User
from townsquare.api import errors, idempotency
from townsquare.api.errors import ApiError
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, object_id
from townsquare.api.schemas.entities import Context, Status
from townsquare.api.schemas.statuses import ScheduledStatus, StatusEdit, StatusSource
from townsquare.api.serializers.accounts import account as account_entity
from townsquare.api.serializers.common import iso
from townsquare.api.serializers.media import attachment
from townsquare.api.serializers.statuses import VISIBILITY_CODES, statuses
from townsquare.media.models import MediaAttachment
from townsquare.posts import actions
from townsquare.posts.models import Post, PostEdit, ScheduledPost
from townsquare.posts.queries import ListedPost, Viewer, get_visible, posts_by_id
from townsquare.posts.threads import context as thread_context
from townsquare.site import emoji as custom_emoji

MAX_IDS = 100
REPLY_GONE = gettext_lazy("The post you are trying to reply to does not appear to exist.")
QUOTE_GONE = gettext_lazy("The post you are trying to quote does not appear to exist.")


# Shared by the status endpoint modules ---------------------------------------------------


def listed_or_404(viewer: Viewer, raw_id: str) -> ListedPost:
    """The status at `raw_id` as a listing row, when `viewer` may see it; otherwise 404."""
    found = posts_by_id(viewer, [object_id(raw_id)])
    if not found:
        raise errors.not_found()
    return next(iter(found.values()))


def post_or_404(viewer: Viewer, raw_id: str) -> Post:
    """The status at `raw_id` as a model, when `viewer` may see it; otherwise 404."""
    post = get_visible(viewer, object_id(raw_id))
    if post is None:
        raise errors.not_found()
    return post


def render(viewer: Viewer, post_id: int) -> dict[str, Any]:
    """The Status entity of one post `viewer` may see (404 when it is gone or hidden)."""
    found = posts_by_id(viewer, [post_id])
    entity = statuses(viewer, list(found.values())) if found else []
    if not entity:
        raise errors.not_found()
    return entity[0]


def as_list(value: Any) -> Any:
    """A repeated parameter sent once (`id=1`) as the one-item list it stands for."""
    if value is None or isinstance(value, list):
        return value
    if isinstance(value, dict):  # `key[0]=a&key[1]=b`
        return [value[k] for k in sorted(value, key=lambda k: (len(str(k)), str(k)))]
    return [value]


def ids_of(values: list[str], message: str = "Those ids are not valid.") -> list[int]:
    out: list[int] = []
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or len(text) > 19 or int(text) >= 2**63:
            raise errors.unprocessable(message)
        out.append(int(text))
    return list(dict.fromkeys(out))


def default_visibility(user: User) -> int:
    """The member's chosen default level (accounts may add one), else public."""
    raw = getattr(user, "default_visibility", 0)
    if isinstance(raw, str):
        raw = VISIBILITY_CODES.get(raw, int(raw) if raw.isdigit() else 0)
    level = int(raw or 0)
    return level if 0 <= level <= 3 else 0


# Posting -----------------------------------------------------------------------------------

VisibilityName = Literal["public", "unlisted", "private", "direct"]


class PollParams(Params):
    options: list[str]
    expires_in: int = Field(description="Seconds the poll stays open")
    multiple: bool = False
    hide_totals: bool = False

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        return as_list(value)


class StatusParams(Params):
    status: str = Field(default="", description="The text of the status")
    media_ids: list[str] = Field(default_factory=list)
    poll: PollParams | None = None
    in_reply_to_id: str | None = None
    quote_id: str | None = None
    sensitive: bool = False
    spoiler_text: str = ""
    visibility: VisibilityName | None = None
    language: str | None = Field(default=None, max_length=16)
    scheduled_at: datetime | None = None

    @field_validator("media_ids", mode="before")
    @classmethod
    def _media_ids(cls, value: Any) -> Any:
        return as_list(value)


def poll_spec(params: PollParams | None) -> actions.PollSpec | None:
    if params is None:
        return None
    return actions.PollSpec(
        options=list(params.options),
        multiple=params.multiple,
        expires_in=params.expires_in,
        hide_totals=params.hide_totals,
    )


def _target(user: User, raw: str | None, message: str | Promise) -> Post | None:
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 19 or int(raw) >= 2**63:
        raise ApiError(404, message)
    post = get_visible(user, int(raw))
    if post is None:
        raise ApiError(404, message)
    return post


def scheduled_entity(item: ScheduledPost, media: list[MediaAttachment]) -> dict[str, Any]:
    params = dict(item.params or {})
    level = int(params.get("visibility") or 0)
    return {
        "id": str(item.pk),
        "scheduled_at": iso(item.scheduled_at),
        "params": {
            "text": params.get("text") or "",
            "poll": params.get("poll"),
            "media_ids": params.get("media_ids") or None,
            "sensitive": bool(params.get("sensitive")),
            "spoiler_text": params.get("spoiler_text") or "",
            "visibility": {0: "public", 1: "unlisted", 2: "private", 3: "direct"}.get(
                level, "public"
            ),
            "in_reply_to_id": params.get("in_reply_to_id"),
            "language": params.get("language"),
            "application_id": params.get("application_id"),
            "scheduled_at": None,
            "idempotency": None,
            "with_rate_limit": False,
        },
        "media_attachments": [attachment(m) for m in media],
    }


def scheduled_media(items: list[ScheduledPost]) -> dict[int, list[MediaAttachment]]:
    """The uploads waiting with each scheduled post, in the order given, in one query."""
    wanted = {
        item.pk: [int(i) for i in (item.params or {}).get("media_ids") or []] for item in items
    }
    rows = {
        row.pk: row for row in MediaAttachment.objects.filter(scheduled_post_id__in=list(wanted))
    }
    return {pk: [rows[i] for i in ids if i in rows] for pk, ids in wanted.items()}


def _earlier_result(viewer: User, result_id: int) -> dict[str, Any] | None:
    if Post.objects.filter(pk=result_id, author=viewer).exists():
        return render(viewer, result_id)
    scheduled = ScheduledPost.objects.filter(pk=result_id, author=viewer).first()
    if scheduled is not None:
        return scheduled_entity(scheduled, scheduled_media([scheduled])[scheduled.pk])
    return None


@api.post(
    "/api/v1/statuses",
    auth="user",
    scope="write:statuses",
    params=StatusParams,
    response=Status | ScheduledStatus,
    errors=(404, 422, 429),
    rate_limited=False,  # posting counts against POSTS_PER_ACCOUNT in the write layer
)
def create_status(call: Call) -> dict[str, Any]:
    """Publish a status, or schedule one (`scheduled_at`)."""
    params: StatusParams = call.params
    user = call.user
    key = idempotency.key_of(call.request)
    if key is not None:
        found = idempotency.earlier(user, key)
        if found is not None:
            earlier = _earlier_result(user, found)
            if earlier is not None:
                return earlier
            idempotency.forget(user, key)  # what it made is gone: make it again
    media_ids = ids_of(params.media_ids, "Those media ids are not valid.")
    level = (
        VISIBILITY_CODES[params.visibility]
        if params.visibility is not None
        else default_visibility(user)
    )
    reply_to = _target(user, params.in_reply_to_id, REPLY_GONE)
    quoted = _target(user, params.quote_id, QUOTE_GONE)
    app_id = call.auth.application_id if call.auth else None
    spec = poll_spec(params.poll)

    if params.scheduled_at is not None:
        when = params.scheduled_at
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)

        def make_scheduled() -> int:
            return actions.schedule_post(
                user,
                scheduled_at=when,
                text=params.status,
                visibility=level,
                spoiler_text=params.spoiler_text,
                sensitive=params.sensitive,
                media_ids=media_ids,
                poll=spec,
                in_reply_to_id=reply_to.pk if reply_to else None,
                quote_id=quoted.pk if quoted else None,
                language=params.language,
                application_id=app_id,
            ).pk

        made, _ = idempotency.once(user, key, make_scheduled)
        entity = _earlier_result(user, made)
        if entity is None:
            raise errors.not_found()
        return entity

    def make() -> int:
        return actions.create_post(
            user,
            text=params.status,
            visibility=level,
            in_reply_to=reply_to,
            quote_of=quoted,
            spoiler_text=params.spoiler_text,
            sensitive=params.sensitive,
            media_ids=media_ids,
            poll=spec,
            application_id=app_id,
        ).pk

    made, _ = idempotency.once(user, key, make)
    return render(user, made)


# Reading -----------------------------------------------------------------------------------


class ManyParams(Params):
    id: list[str] = Field(default_factory=list, description="Status ids (id[]=...)")

    @field_validator("id", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return as_list(value)


@api.get(
    "/api/v1/statuses",
    auth="optional",
    scope="read:statuses",
    params=ManyParams,
    response=list[Status],
)
def get_statuses(call: Call) -> list[dict[str, Any]]:
    """Several statuses by id (those the caller may see, in the order asked)."""
    params: ManyParams = call.params
    wanted: list[int] = []
    for raw in params.id[:MAX_IDS]:
        text = str(raw).strip()
        if text.isdigit() and len(text) <= 19 and int(text) < 2**63:
            wanted.append(int(text))
    wanted = list(dict.fromkeys(wanted))
    found = posts_by_id(call.viewer, wanted)
    return statuses(call.viewer, [found[pid] for pid in wanted if pid in found])


@api.get("/api/v1/statuses/{id}", auth="optional", scope="read:statuses", response=Status)
def get_status(call: Call, id: str) -> dict[str, Any]:
    """One status."""
    item = listed_or_404(call.viewer, id)
    entity = statuses(call.viewer, [item])
    if not entity:
        raise errors.not_found()
    return entity[0]


@api.get("/api/v1/statuses/{id}/context", auth="optional", scope="read:statuses", response=Context)
def get_context(call: Call, id: str) -> dict[str, Any]:
    """The posts a status answers, and the replies below it."""
    item = listed_or_404(call.viewer, id)
    if item.reblog_of_id is not None:  # a reblog's thread is its original's
        item = listed_or_404(call.viewer, str(item.reblog_of_id))
    ancestors, descendants = thread_context(call.viewer, item)
    return {
        "ancestors": statuses(call.viewer, ancestors, context="thread"),
        "descendants": statuses(call.viewer, descendants, context="thread"),
    }


# Deleting and editing ------------------------------------------------------------------------


def _own_post(user: User, raw_id: str) -> Post:
    post = Post.objects.select_related("author").filter(pk=object_id(raw_id), author=user).first()
    if post is None:
        raise errors.not_found()
    return post


@api.delete(
    "/api/v1/statuses/{id}",
    auth="user",
    scope="write:statuses",
    response=Status,
    rate_limited=False,
)
def delete_status(call: Call, id: str) -> dict[str, Any]:
    """Delete one's status; the answer carries its source text, to redraft it."""
    post = _own_post(call.user, id)
    entity = render(call.user, post.pk)
    entity["text"] = post.text
    actions.delete_post(call.user, post)
    return entity


class MediaAttribute(Params):
    id: str
    description: str | None = Field(default=None, max_length=10_000)
    focus: str = ""
    keep_empty: ClassVar[frozenset[str]] = frozenset({"description"})


class EditParams(Params):
    status: str = ""
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = Field(default=None, max_length=16)
    media_ids: list[str] = Field(default_factory=list)
    media_attributes: list[MediaAttribute] = Field(default_factory=list)
    poll: PollParams | None = None
    keep_empty: ClassVar[frozenset[str]] = frozenset({"status", "spoiler_text"})

    @field_validator("media_ids", "media_attributes", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return as_list(value)


@api.put(
    "/api/v1/statuses/{id}",
    auth="user",
    scope="write:statuses",
    params=EditParams,
    response=Status,
    errors=(422,),
    rate_limited=False,
)
def edit_status(call: Call, id: str) -> dict[str, Any]:
    """Edit one's status. As in Mastodon, the media and poll sent replace the status's own
    (none sent: none kept); text, content warning and sensitive stay when not sent."""
    params: EditParams = call.params
    post = _own_post(call.user, id)
    given = params.model_fields_set
    changes: dict[int, actions.MediaChange] = {}
    for item in params.media_attributes:
        (pk,) = ids_of([item.id], "Those media ids are not valid.")
        changes[pk] = actions.MediaChange(item.description, item.focus)
    spoiler = params.spoiler_text if "spoiler_text" in given else post.spoiler_text
    if "sensitive" in given:
        sensitive = params.sensitive
    elif "spoiler_text" in given:
        sensitive = bool(spoiler)
    else:
        sensitive = post.sensitive
    actions.edit_post(
        call.user,
        post,
        text=params.status if "status" in given else post.text,
        spoiler_text=spoiler,
        sensitive=sensitive,
        media_ids=ids_of(params.media_ids, "Those media ids are not valid."),
        media_attributes=changes,
        poll=poll_spec(params.poll),
    )
    return render(call.user, post.pk)


def _edit_entity(
    version: PostEdit | Post,
    account: dict[str, Any],
    media: dict[int, MediaAttachment],
    media_ids: list[int],
    poll_options: list[str] | None,
    created_at: datetime,
) -> dict[str, Any]:
    return {
        "content": version.html,
        "spoiler_text": version.spoiler_text,
        "sensitive": version.sensitive,
        "created_at": iso(created_at),
        "account": account,
        "poll": {"options": [{"title": title} for title in poll_options]} if poll_options else None,
        "media_attachments": [attachment(media[i]) for i in media_ids if i in media],
        "emojis": custom_emoji.used_in(version.text, version.spoiler_text),
    }


@api.get(
    "/api/v1/statuses/{id}/history",
    auth="optional",
    scope="read:statuses",
    response=list[StatusEdit],
)
def status_history(call: Call, id: str) -> list[dict[str, Any]]:
    """Every version of a status, oldest first (one version when it was never edited)."""
    post = post_or_404(call.viewer, id)
    account = account_entity(post.author)
    versions = list(PostEdit.objects.filter(post=post).order_by("id"))
    current_media = list(MediaAttachment.objects.filter(post_id=post.pk).order_by("position", "id"))
    media = {row.pk: row for row in current_media}
    if not versions:
        from townsquare.polls.models import PollOption

        titles = list(
            PollOption.objects.filter(poll__post_id=post.pk)
            .order_by("position")
            .values_list("title", flat=True)
        )
        return [
            _edit_entity(
                post,
                account,
                media,
                [m.pk for m in current_media],
                titles or None,
                post.created_at,
            )
        ]
    return [
        _edit_entity(
            version,
            account,
            media,
            [int(i) for i in version.media_ids or []],
            version.poll_options,
            version.created_at,
        )
        for version in versions
    ]


@api.get("/api/v1/statuses/{id}/source", auth="user", scope="read:statuses", response=StatusSource)
def status_source(call: Call, id: str) -> dict[str, Any]:
    """A status's text as written (to edit it)."""
    post = post_or_404(call.viewer, id)
    return {"id": str(post.pk), "text": post.text, "spoiler_text": post.spoiler_text}
