"""Response models of the reports endpoints."""

from __future__ import annotations

from pydantic import BaseModel

from townsquare.api.schemas.entities import Account


class Report(BaseModel):
    id: str
    action_taken: bool
    action_taken_at: str | None
    category: str
    comment: str
    forwarded: bool
    created_at: str
    status_ids: list[str] | None
    rule_ids: list[str] | None
    target_account: Account
