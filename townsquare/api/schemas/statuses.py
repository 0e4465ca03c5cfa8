"""Response models of the statuses, scheduled statuses and media endpoints beside the Status
entity itself (schemas/entities.py)."""

from __future__ import annotations

from pydantic import BaseModel

from townsquare.api.schemas.entities import Account, CustomEmoji, MediaAttachment


class StatusSource(BaseModel):
    id: str
    text: str
    spoiler_text: str


class StatusEditPollOption(BaseModel):
    title: str


class StatusEditPoll(BaseModel):
    options: list[StatusEditPollOption]


class StatusEdit(BaseModel):
    content: str
    spoiler_text: str
    sensitive: bool
    created_at: str
    account: Account
    poll: StatusEditPoll | None = None
    media_attachments: list[MediaAttachment]
    emojis: list[CustomEmoji]


class ScheduledPoll(BaseModel):
    options: list[str]
    expires_in: int
    multiple: bool
    hide_totals: bool


class ScheduledStatusParams(BaseModel):
    text: str
    poll: ScheduledPoll | None
    media_ids: list[str] | None
    sensitive: bool | None
    spoiler_text: str | None
    visibility: str
    in_reply_to_id: str | None
    language: str | None
    application_id: str | None
    scheduled_at: str | None
    idempotency: str | None
    with_rate_limit: bool


class ScheduledStatus(BaseModel):
    id: str
    scheduled_at: str
    params: ScheduledStatusParams
    media_attachments: list[MediaAttachment]
