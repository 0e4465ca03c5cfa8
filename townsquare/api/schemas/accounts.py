"""Response models of the accounts and relationships endpoints that entities.py does not have."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from townsquare.api.schemas.entities import Account


class Preferences(BaseModel):
    """The member's preferences, keyed as Mastodon keys them (with colons)."""

    model_config = ConfigDict(populate_by_name=True)

    posting_default_visibility: str = Field(alias="posting:default:visibility")
    posting_default_sensitive: bool = Field(alias="posting:default:sensitive")
    posting_default_language: str | None = Field(alias="posting:default:language")
    reading_expand_media: str = Field(alias="reading:expand:media")
    reading_expand_spoilers: bool = Field(alias="reading:expand:spoilers")


class FamiliarFollowers(BaseModel):
    id: str
    accounts: list[Account]


class FeaturedTag(BaseModel):
    id: str
    name: str
    url: str
    statuses_count: str
    last_status_at: str | None
