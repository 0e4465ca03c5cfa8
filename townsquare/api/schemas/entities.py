"""The API's entities as pydantic models: they describe responses in the OpenAPI document
(and a test checks the serializers against them). The serializers build plain dicts, which is
several times faster than building these models for every status on a timeline."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from townsquare.api.schemas.filters import FilterResult


class Error(BaseModel):
    error: str
    error_description: str | None = None


class Empty(BaseModel):
    pass


class Field(BaseModel):
    name: str
    value: str
    verified_at: str | None


class CustomEmoji(BaseModel):
    shortcode: str
    url: str
    static_url: str
    visible_in_picker: bool
    category: str | None = None


class Account(BaseModel):
    id: str
    username: str
    acct: str
    url: str
    uri: str
    display_name: str
    note: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    locked: bool
    fields: list[Field]
    emojis: list[CustomEmoji]
    bot: bool
    group: bool
    discoverable: bool | None
    created_at: str | None
    last_status_at: str | None
    statuses_count: int
    followers_count: int
    following_count: int
    mute_expires_at: str | None = None  # in GET /api/v1/mutes only
    suspended: bool | None = None  # only when a moderator suspended the account
    limited: bool | None = None  # only when a moderator limited the account


class Source(BaseModel):
    privacy: str
    sensitive: bool
    language: str | None
    note: str
    fields: list[Field]
    follow_requests_count: int


class CredentialAccount(Account):
    source: Source
    role: dict[str, Any] | None = None


class MediaMeta(BaseModel):
    focus: dict[str, float] | None = None
    original: dict[str, Any] | None = None
    small: dict[str, Any] | None = None


class MediaAttachment(BaseModel):
    id: str
    type: str
    url: str | None
    preview_url: str | None
    remote_url: str | None
    description: str | None
    blurhash: str | None
    meta: MediaMeta | None = None


class PollOption(BaseModel):
    title: str
    votes_count: int | None


class Poll(BaseModel):
    id: str
    expires_at: str | None
    expired: bool
    multiple: bool
    votes_count: int
    voters_count: int | None
    options: list[PollOption]
    emojis: list[CustomEmoji]
    voted: bool | None = None
    own_votes: list[int] | None = None


class PreviewCard(BaseModel):
    url: str
    title: str
    description: str
    type: str
    author_name: str
    author_url: str
    provider_name: str
    provider_url: str
    html: str
    width: int
    height: int
    image: str | None
    embed_url: str
    blurhash: str | None


class Mention(BaseModel):
    id: str
    username: str
    url: str
    acct: str


class StatusTag(BaseModel):
    name: str
    url: str


class StatusApplication(BaseModel):
    name: str
    website: str | None = None


class BaseStatus(BaseModel):
    id: str
    uri: str
    url: str | None
    created_at: str
    edited_at: str | None
    account: Account
    content: str
    text: str | None = None
    visibility: str
    sensitive: bool
    spoiler_text: str
    media_attachments: list[MediaAttachment]
    application: StatusApplication | None = None
    mentions: list[Mention]
    tags: list[StatusTag]
    emojis: list[CustomEmoji]
    reblogs_count: int
    favourites_count: int
    replies_count: int
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    poll: Poll | None
    card: PreviewCard | None
    language: str | None
    favourited: bool | None = None
    reblogged: bool | None = None
    muted: bool | None = None
    bookmarked: bool | None = None
    pinned: bool | None = None
    filtered: list[FilterResult] | None = None


class Status(BaseStatus):
    reblog: BaseStatus | None
    quote: BaseStatus | None = None


class Application(BaseModel):
    id: str | None = None
    name: str
    website: str | None
    scopes: list[str] | None = None
    redirect_uri: str | None = None
    redirect_uris: list[str] | None = None
    vapid_key: str | None = None


class CredentialApplication(Application):
    client_id: str
    client_secret: str
    client_secret_expires_at: int


class Relationship(BaseModel):
    id: str
    following: bool
    showing_reblogs: bool
    notifying: bool
    languages: list[str] | None = None
    followed_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool
    muting_notifications: bool
    requested: bool
    requested_by: bool
    domain_blocking: bool
    endorsed: bool
    note: str


class Tag(BaseModel):
    name: str
    url: str
    history: list[dict[str, str]]
    following: bool | None = None


class Context(BaseModel):
    ancestors: list[Status]
    descendants: list[Status]


class Rule(BaseModel):
    id: str
    text: str
    hint: str = ""


class Token(BaseModel):
    access_token: str
    token_type: str
    scope: str
    created_at: int
