"""Lists: a member's own lists of people they follow, and each list's timeline."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from townsquare.accounts.models import User
from townsquare.api import errors
from townsquare.api.pagination import MAX_ID, PageParams, link_header, page_of
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply, object_id
from townsquare.api.schemas.entities import Account, Empty, Status
from townsquare.api.schemas.lists import List
from townsquare.api.serializers.accounts import accounts
from townsquare.api.serializers.statuses import statuses
from townsquare.lists import actions, queries
from townsquare.lists.models import MemberList, RepliesPolicy

AccountId = Annotated[int, Field(ge=1, le=MAX_ID)]


def list_entity(item: MemberList) -> dict[str, Any]:
    return {
        "id": str(item.pk),
        "title": item.title,
        "replies_policy": item.replies_policy,
        "exclusive": item.exclusive,
    }


def _own_list(call: Call, raw_id: str) -> MemberList:
    found = queries.get_list(call.user, object_id(raw_id))
    if found is None:
        raise errors.not_found()
    return found


class NewListParams(Params):
    title: str = Field(max_length=10_000)
    replies_policy: str = Field(default=RepliesPolicy.LIST, description="followed, list or none")
    exclusive: bool = Field(default=False, description="Leave its members out of home")


class ListChangeParams(Params):
    title: str | None = Field(default=None, max_length=10_000)
    replies_policy: str | None = Field(default=None, description="followed, list or none")
    exclusive: bool | None = None


class AccountIdsParams(Params):
    account_ids: list[AccountId] = Field(description="account_ids[]: the accounts")

    @field_validator("account_ids", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return value if isinstance(value, list) else [value]


class ListAccountsParams(PageParams):
    limit: int = Field(default=40, ge=0, le=10_000, description="At most 40; 0 for all")


@api.get("/api/v1/lists", auth="user", scope="read:lists", response=list[List], tag="lists")
def all_lists(call: Call) -> list[dict[str, Any]]:
    """The caller's lists."""
    return [list_entity(item) for item in queries.lists_of(call.user)]


@api.get("/api/v1/lists/{id}", auth="user", scope="read:lists", response=List, tag="lists")
def one_list(call: Call, id: str) -> dict[str, Any]:
    """One of the caller's lists."""
    return list_entity(_own_list(call, id))


@api.post(
    "/api/v1/lists",
    auth="user",
    scope="write:lists",
    params=NewListParams,
    response=List,
    tag="lists",
)
def create_list(call: Call) -> dict[str, Any]:
    """Make a list."""
    params: NewListParams = call.params
    item = actions.create_list(
        call.user,
        title=params.title,
        replies_policy=params.replies_policy,
        exclusive=params.exclusive,
    )
    return list_entity(item)


@api.put(
    "/api/v1/lists/{id}",
    auth="user",
    scope="write:lists",
    params=ListChangeParams,
    response=List,
    tag="lists",
)
def update_list(call: Call, id: str) -> dict[str, Any]:
    """Rename a list, or change its replies policy or exclusiveness."""
    params: ListChangeParams = call.params
    item = actions.update_list(
        call.user,
        _own_list(call, id),
        title=params.title,
        replies_policy=params.replies_policy,
        exclusive=params.exclusive,
    )
    return list_entity(item)


@api.delete("/api/v1/lists/{id}", auth="user", scope="write:lists", response=Empty, tag="lists")
def delete_list(call: Call, id: str) -> dict[str, Any]:
    """Delete a list."""
    actions.delete_list(call.user, _own_list(call, id))
    return {}


@api.get(
    "/api/v1/lists/{id}/accounts",
    auth="user",
    scope="read:lists",
    params=ListAccountsParams,
    response=list[Account],
    tag="lists",
)
def list_accounts(call: Call, id: str) -> Reply:
    """The accounts on a list."""
    item = _own_list(call, id)
    params: ListAccountsParams = call.params
    rows = queries.member_rows(
        item,
        max_id=params.max_id,
        since_id=params.since_id,
        min_id=params.min_id,
        limit=min(params.limit, 40) if params.limit else None,
    )
    found = accounts([member_id for _, member_id in rows])
    headers = link_header(call.request, [row_id for row_id, _ in rows]) if params.limit else {}
    return Reply(found, headers=headers)


@api.post(
    "/api/v1/lists/{id}/accounts",
    auth="user",
    scope="write:lists",
    params=AccountIdsParams,
    response=Empty,
    errors=(404,),
    tag="lists",
)
def add_accounts(call: Call, id: str) -> dict[str, Any]:
    """Put accounts the caller follows on a list."""
    params: AccountIdsParams = call.params
    actions.add_members(call.user, _own_list(call, id), params.account_ids)
    return {}


@api.delete(
    "/api/v1/lists/{id}/accounts",
    auth="user",
    scope="write:lists",
    params=AccountIdsParams,
    response=Empty,
    tag="lists",
)
def remove_accounts(call: Call, id: str) -> dict[str, Any]:
    """Take accounts off a list."""
    params: AccountIdsParams = call.params
    actions.remove_members(call.user, _own_list(call, id), params.account_ids)
    return {}


@api.get(
    "/api/v1/accounts/{id}/lists",
    auth="user",
    scope="read:lists",
    response=list[List],
    tag="accounts",
)
def lists_with_account(call: Call, id: str) -> list[dict[str, Any]]:
    """The caller's lists that an account is on."""
    account_id = object_id(id)
    if not User.objects.filter(pk=account_id, is_active=True).exists():
        raise errors.not_found()
    return [list_entity(item) for item in queries.lists_with(call.user, account_id)]


@api.get(
    "/api/v1/timelines/list/{list_id}",
    auth="user",
    scope="read:lists",
    params=PageParams,
    response=list[Status],
    tag="timelines",
)
def list_timeline(call: Call, list_id: str) -> Reply:
    """Posts by the members of one of the caller's lists."""
    item = _own_list(call, list_id)
    page = page_of(call.params)
    posts = queries.list_timeline(
        call.user,
        item,
        max_id=page.max_id,
        since_id=page.since_id,
        min_id=page.min_id,
        limit=page.limit,
    )
    found = statuses(call.user, posts, context="home")
    return Reply(found, headers=link_header(call.request, [p.id for p in posts]))
