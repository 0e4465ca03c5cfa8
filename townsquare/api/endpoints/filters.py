"""Filters (v2): a member's keyword and post filters, and the old v1 view of their keywords."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from townsquare.api import errors
from townsquare.api.pagination import MAX_ID
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, object_id
from townsquare.api.schemas.entities import Empty
from townsquare.api.schemas.filters import Filter, FilterKeyword, FilterStatus, V1Filter
from townsquare.api.serializers.common import iso
from townsquare.api.serializers.filters import filter_entity, keyword_entity, status_entity
from townsquare.filters import actions, queries
from townsquare.filters.actions import KeywordChange
from townsquare.filters.models import Filter as FilterModel
from townsquare.filters.models import FilterAction
from townsquare.filters.models import FilterKeyword as KeywordModel
from townsquare.posts.queries import get_visible

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _listed(value: Any) -> Any:
    """One value or a list; an object keyed by index (`a[0][b]=...`) is read as a list."""
    if isinstance(value, dict):
        return [value[key] for key in sorted(value, key=lambda k: (len(str(k)), str(k)))]
    return value if isinstance(value, list) else [value]


class KeywordAttribute(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    keyword: str | None = Field(default=None, max_length=10_000)
    whole_word: bool | None = None
    id: RowId | None = None
    destroy: bool = Field(default=False, alias="_destroy")

    def change(self) -> KeywordChange:
        return KeywordChange(self.keyword, self.whole_word, self.id, self.destroy)


class _FilterFields(Params):
    context: list[str] | None = Field(
        default=None, description="context[]: home, notifications, public, thread, account"
    )
    filter_action: str | None = Field(default=None, description="warn, hide or blur_media")
    expires_in: int | None = Field(default=None, description="Seconds from now; empty: never")
    keywords_attributes: list[KeywordAttribute] = Field(default_factory=list)

    @field_validator("context", mode="before")
    @classmethod
    def _context(cls, value: Any) -> Any:
        return _listed(value)

    @field_validator("keywords_attributes", mode="before")
    @classmethod
    def _keywords(cls, value: Any) -> Any:
        return _listed(value)


class NewFilterParams(_FilterFields):
    title: str = Field(max_length=10_000)
    context: list[str] | None = Field(
        description="context[]: home, notifications, public, thread, account"
    )


class FilterChangeParams(_FilterFields):
    keep_empty: ClassVar[frozenset[str]] = frozenset({"expires_in"})
    title: str | None = Field(default=None, max_length=10_000)

    @field_validator("expires_in", mode="before")
    @classmethod
    def _never(cls, value: Any) -> Any:
        """An empty `expires_in` means "never" (given, but None)."""
        return None if isinstance(value, str) and not value.strip() else value


class KeywordParams(Params):
    keyword: str = Field(max_length=10_000)
    whole_word: bool | None = None


class FilterStatusParams(Params):
    status_id: RowId


def _filter(call: Call, raw_id: str) -> FilterModel:
    found = queries.get_filter(call.user, object_id(raw_id))
    if found is None:
        raise errors.not_found()
    return found


def _keyword(call: Call, raw_id: str) -> KeywordModel:
    found = queries.get_keyword(call.user, object_id(raw_id))
    if found is None:
        raise errors.not_found()
    return found


@api.get("/api/v2/filters", auth="user", scope="read:filters", response=list[Filter])
def all_filters(call: Call) -> list[dict[str, Any]]:
    """The caller's filters."""
    return [filter_entity(item) for item in queries.filters_of(call.user)]


@api.get("/api/v2/filters/{id}", auth="user", scope="read:filters", response=Filter)
def one_filter(call: Call, id: str) -> dict[str, Any]:
    """One of the caller's filters."""
    return filter_entity(_filter(call, id))


@api.post(
    "/api/v2/filters",
    auth="user",
    scope="write:filters",
    params=NewFilterParams,
    response=Filter,
    errors=(404,),
)
def create_filter(call: Call) -> dict[str, Any]:
    """Make a filter, with keywords."""
    params: NewFilterParams = call.params
    item = actions.create_filter(
        call.user,
        title=params.title,
        context=params.context or [],
        action=params.filter_action or FilterAction.WARN,
        expires_in=params.expires_in,
        keywords=[k.change() for k in params.keywords_attributes],
    )
    return filter_entity(_filter(call, str(item.pk)))


@api.put(
    "/api/v2/filters/{id}",
    auth="user",
    scope="write:filters",
    params=FilterChangeParams,
    response=Filter,
)
def update_filter(call: Call, id: str) -> dict[str, Any]:
    """Change a filter: its title, places, action, expiry, and keywords (add, change with
    an id, remove with an id and `_destroy`)."""
    params: FilterChangeParams = call.params
    item = _filter(call, id)
    changes: dict[str, Any] = {}
    if "expires_in" in params.model_fields_set:
        changes["expires_in"] = params.expires_in
    actions.update_filter(
        call.user,
        item,
        title=params.title,
        context=params.context,
        action=params.filter_action,
        keywords=[k.change() for k in params.keywords_attributes],
        **changes,
    )
    return filter_entity(_filter(call, id))


@api.delete("/api/v2/filters/{id}", auth="user", scope="write:filters", response=Empty)
def delete_filter(call: Call, id: str) -> dict[str, Any]:
    """Delete a filter."""
    actions.delete_filter(call.user, _filter(call, id))
    return {}


@api.get(
    "/api/v2/filters/{filter_id}/keywords",
    auth="user",
    scope="read:filters",
    response=list[FilterKeyword],
)
def filter_keywords(call: Call, filter_id: str) -> list[dict[str, Any]]:
    """A filter's keywords."""
    item = _filter(call, filter_id)
    return [keyword_entity(k) for k in sorted(item.keywords.all(), key=lambda k: k.pk)]


@api.post(
    "/api/v2/filters/{filter_id}/keywords",
    auth="user",
    scope="write:filters",
    params=KeywordParams,
    response=FilterKeyword,
)
def add_keyword(call: Call, filter_id: str) -> dict[str, Any]:
    """Add a keyword to a filter."""
    params: KeywordParams = call.params
    keyword = actions.add_keyword(
        call.user,
        _filter(call, filter_id),
        keyword=params.keyword,
        whole_word=True if params.whole_word is None else params.whole_word,
    )
    return keyword_entity(keyword)


@api.get(
    "/api/v2/filters/keywords/{id}",
    auth="user",
    scope="read:filters",
    response=FilterKeyword,
)
def one_keyword(call: Call, id: str) -> dict[str, Any]:
    """One keyword of one of the caller's filters."""
    return keyword_entity(_keyword(call, id))


@api.put(
    "/api/v2/filters/keywords/{id}",
    auth="user",
    scope="write:filters",
    params=KeywordParams,
    response=FilterKeyword,
)
def update_keyword(call: Call, id: str) -> dict[str, Any]:
    """Change a filter's keyword."""
    params: KeywordParams = call.params
    keyword = actions.update_keyword(
        call.user, _keyword(call, id), text=params.keyword, whole_word=params.whole_word
    )
    return keyword_entity(keyword)


@api.delete("/api/v2/filters/keywords/{id}", auth="user", scope="write:filters", response=Empty)
def delete_keyword(call: Call, id: str) -> dict[str, Any]:
    """Remove a keyword from its filter."""
    actions.delete_keyword(call.user, _keyword(call, id))
    return {}


@api.get(
    "/api/v2/filters/{filter_id}/statuses",
    auth="user",
    scope="read:filters",
    response=list[FilterStatus],
)
def filter_statuses(call: Call, filter_id: str) -> list[dict[str, Any]]:
    """The posts a filter names."""
    item = _filter(call, filter_id)
    return [status_entity(s) for s in sorted(item.statuses.all(), key=lambda s: s.pk)]


@api.post(
    "/api/v2/filters/{filter_id}/statuses",
    auth="user",
    scope="write:filters",
    params=FilterStatusParams,
    response=FilterStatus,
    errors=(404,),
)
def add_filter_status(call: Call, filter_id: str) -> dict[str, Any]:
    """Add a post to a filter."""
    params: FilterStatusParams = call.params
    item = _filter(call, filter_id)
    post = get_visible(call.user, params.status_id)
    if post is None:
        raise errors.not_found()
    return status_entity(actions.add_status(call.user, item, post))


@api.get(
    "/api/v2/filters/statuses/{id}",
    auth="user",
    scope="read:filters",
    response=FilterStatus,
)
def one_filter_status(call: Call, id: str) -> dict[str, Any]:
    """One post of one of the caller's filters."""
    row = queries.get_filter_status(call.user, object_id(id))
    if row is None:
        raise errors.not_found()
    return status_entity(row)


@api.delete("/api/v2/filters/statuses/{id}", auth="user", scope="write:filters", response=Empty)
def delete_filter_status(call: Call, id: str) -> dict[str, Any]:
    """Remove a post from its filter."""
    row = queries.get_filter_status(call.user, object_id(id))
    if row is None:
        raise errors.not_found()
    actions.delete_status(call.user, row)
    return {}


def _v1(keyword: KeywordModel, item: FilterModel) -> dict[str, Any]:
    return {
        "id": str(keyword.pk),
        "phrase": keyword.keyword,
        "context": list(item.context),
        "whole_word": keyword.whole_word,
        "expires_at": iso(item.expires_at),
        "irreversible": item.action == FilterAction.HIDE,
    }


@api.get("/api/v1/filters", auth="user", scope="read:filters", response=list[V1Filter])
def v1_filters(call: Call) -> list[dict[str, Any]]:
    """The caller's filter keywords, as Mastodon 3.x apps read them (read only here)."""
    return [
        _v1(keyword, item)
        for item in queries.filters_of(call.user)
        for keyword in sorted(item.keywords.all(), key=lambda k: k.pk)
    ]


@api.get("/api/v1/filters/{id}", auth="user", scope="read:filters", response=V1Filter)
def v1_filter(call: Call, id: str) -> dict[str, Any]:
    """One filter keyword, as Mastodon 3.x apps read it."""
    keyword = _keyword(call, id)
    return _v1(keyword, keyword.filter)
