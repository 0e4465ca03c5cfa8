"""Response models of the conversations endpoints."""

from __future__ import annotations

from pydantic import BaseModel

from townsquare.api.schemas.entities import Account, Status


class Conversation(BaseModel):
    id: str
    unread: bool
    accounts: list[Account]
    last_status: Status | None
