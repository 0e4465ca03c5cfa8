"""Response models of the reading side of the API: notifications, markers, search results,
suggestions, trends, announcements. Statuses, accounts and tags are the shared entities."""

from __future__ import annotations

from pydantic import BaseModel

from townsquare.api.schemas.entities import Account, CustomEmoji, Status, Tag


class Notification(BaseModel):
    id: str
    type: str
    created_at: str
    group_key: str
    account: Account
    status: Status | None = None


class UnreadCount(BaseModel):
    count: int


class Marker(BaseModel):
    last_read_id: str
    version: int
    updated_at: str


class Markers(BaseModel):
    home: Marker | None = None
    notifications: Marker | None = None


class SearchResults(BaseModel):
    accounts: list[Account]
    statuses: list[Status]
    hashtags: list[Tag]


class SearchResultsV1(BaseModel):
    """The old search answer: hashtags as plain names."""

    accounts: list[Account]
    statuses: list[Status]
    hashtags: list[str]


class Suggestion(BaseModel):
    source: str
    sources: list[str]
    account: Account


class TrendsLink(BaseModel):
    url: str
    title: str
    description: str
    type: str
    history: list[dict[str, str]]


class AnnouncementAccount(BaseModel):
    id: str
    username: str
    url: str
    acct: str


class AnnouncementReaction(BaseModel):
    name: str
    count: int
    me: bool | None = None
    url: str | None = None
    static_url: str | None = None


class Announcement(BaseModel):
    id: str
    content: str
    starts_at: str | None
    ends_at: str | None
    all_day: bool
    published_at: str
    updated_at: str
    read: bool | None = None
    mentions: list[AnnouncementAccount]
    statuses: list[dict[str, str]]
    tags: list[dict[str, str]]
    emojis: list[CustomEmoji]
    reactions: list[AnnouncementReaction]


__all__ = [
    "Announcement",
    "CustomEmoji",
    "Marker",
    "Markers",
    "Notification",
    "SearchResults",
    "SearchResultsV1",
    "Suggestion",
    "TrendsLink",
    "UnreadCount",
]
