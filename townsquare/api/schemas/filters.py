"""Response models of the filters endpoints (filters v2, and the v1 view of them)."""

from __future__ import annotations

from pydantic import BaseModel


class FilterKeyword(BaseModel):
    id: str
    keyword: str
    whole_word: bool


class FilterStatus(BaseModel):
    id: str
    status_id: str


class FilterSummary(BaseModel):
    """A filter as a status's `filtered` names it."""

    id: str
    title: str
    context: list[str]
    expires_at: str | None
    filter_action: str


class Filter(FilterSummary):
    keywords: list[FilterKeyword]
    statuses: list[FilterStatus]


class FilterResult(BaseModel):
    filter: FilterSummary
    keyword_matches: list[str] | None
    status_matches: list[str] | None


class V1Filter(BaseModel):
    id: str
    phrase: str
    context: list[str]
    whole_word: bool
    expires_at: str | None
    irreversible: bool
