"""Response models of the lists endpoints."""

from __future__ import annotations

from pydantic import BaseModel


class List(BaseModel):
    id: str
    title: str
    replies_policy: str
    exclusive: bool
