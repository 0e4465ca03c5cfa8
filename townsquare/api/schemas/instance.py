"""The Instance entities (v1 and v2)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from townsquare.api.schemas.entities import Rule


class InstanceV1(BaseModel):
    uri: str
    title: str
    short_description: str
    description: str
    email: str
    version: str
    urls: dict[str, str]
    stats: dict[str, int]
    thumbnail: str | None
    languages: list[str]
    registrations: bool
    approval_required: bool
    invites_enabled: bool
    configuration: dict[str, Any]
    contact_account: dict[str, Any] | None
    rules: list[Rule]


class Registrations(BaseModel):
    enabled: bool
    approval_required: bool
    message: str | None
    url: str | None


class Contact(BaseModel):
    email: str
    account: dict[str, Any] | None


class Configuration(BaseModel):
    urls: dict[str, str | None]
    accounts: dict[str, int]
    statuses: dict[str, int]
    media_attachments: dict[str, Any]
    polls: dict[str, int]
    translation: dict[str, bool]
    vapid: dict[str, str]


class InstanceV2(BaseModel):
    domain: str
    title: str
    version: str
    source_url: str
    description: str
    usage: dict[str, Any]
    thumbnail: dict[str, Any]
    icon: list[dict[str, Any]]
    languages: list[str]
    configuration: Configuration
    registrations: Registrations
    api_versions: dict[str, int]
    contact: Contact
    rules: list[Rule]
