"""Relationships between accounts: follow, unfollow, block, mute and their lists (followers,
following, follow requests, blocks, mutes), and the Relationship entity for many accounts at
once. Every change goes through graph.actions and answers with the new Relationship."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext
from pydantic import Field, field_validator

from townsquare.accounts.models import User
from townsquare.accounts.queries import listed_people
from townsquare.api.endpoints.accounts import member_or_404
from townsquare.api.errors import ApiError
from townsquare.api.pagination import Page, PageParams, link_header, page_of
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply
from townsquare.api.schemas.accounts import FamiliarFollowers
from townsquare.api.schemas.entities import Account, Relationship
from townsquare.api.serializers.accounts import accounts, accounts_by_id
from townsquare.api.serializers.common import iso
from townsquare.api.serializers.relationships import relationship_with, relationships_with
from townsquare.core.pagination import cursor_values
from townsquare.graph import actions as graph_actions
from townsquare.graph import queries as graph_queries
from townsquare.graph.models import Block, Follow, FollowRequest
from townsquare.graph.models.endorsement import NOTE_MAX

MAX_RELATIONSHIP_IDS = 200
ACCOUNTS_PAGE = {"default": 40, "ceiling": 80}


def _ids(raw: list[str] | str | None) -> list[int]:
    """Account ids from `id[]=…` (or a single `id=…`); ones that cannot be ids are dropped."""
    values = raw if isinstance(raw, list) else ([raw] if raw else [])
    out: list[int] = []
    for value in values[:MAX_RELATIONSHIP_IDS]:
        text = str(value).strip()
        if text.isdigit() and len(text) <= 19 and int(text) < 2**63:
            out.append(int(text))
    return out


class IdsParams(Params):
    id: list[str] | str | None = Field(default=None, description="Account ids (`id[]=…`)")
    with_suspended: bool = False


@api.get(
    "/api/v1/accounts/relationships",
    auth="user",
    scope="read:follows",
    params=IdsParams,
    response=list[Relationship],
    tag="accounts",
)
def relationships(call: Call) -> list[dict[str, Any]]:
    """How the caller stands with each of the accounts named, in their order."""
    params: IdsParams = call.params
    wanted = _ids(params.id)
    if not wanted:
        return []
    active = set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    return relationships_with(call.user, [i for i in wanted if i in active])


@api.get(
    "/api/v1/accounts/familiar_followers",
    auth="user",
    scope="read:follows",
    params=IdsParams,
    response=list[FamiliarFollowers],
    tag="accounts",
)
def familiar_followers(call: Call) -> list[dict[str, Any]]:
    """For each account named: the accounts the caller follows who follow it too."""
    params: IdsParams = call.params
    wanted = list(dict.fromkeys(_ids(params.id)))
    if not wanted:
        return []
    viewer = call.user
    followed_by_me = Follow.objects.filter(follower=viewer).values("followee_id")
    pairs = list(
        Follow.objects.filter(followee_id__in=wanted, follower_id__in=followed_by_me)
        .exclude(follower_id=viewer.pk)
        .order_by("-id")
        .values_list("followee_id", "follower_id")[: 40 * len(wanted)]
    )
    # Each pair says whom the follower follows and who follows the target: shown only where
    # both keep those lists open to the caller.
    people = {u.pk: u for u in User.objects.filter(pk__in={a for p in pairs for a in p})}
    shown = {
        pk for pk, person in people.items() if graph_queries.connections_shown_to(viewer, person)
    }
    pairs = [(target, follower) for target, follower in pairs if {target, follower} <= shown]
    entities = accounts_by_id({follower for _, follower in pairs})
    by_target: dict[int, list[dict[str, Any]]] = {target: [] for target in wanted}
    for target, follower in pairs:
        if follower in entities and len(by_target[target]) < 40:
            by_target[target].append(entities[follower])
    return [{"id": str(target), "accounts": found} for target, found in by_target.items()]


# --- changes -------------------------------------------------------------------------------


class FollowParams(Params):
    reblogs: bool | None = Field(default=None, description="Show their shares at home")
    notify: bool | None = Field(default=None, description="Be notified of their new posts")
    languages: list[str] | str | None = None


def _refuse_if_blocked(viewer: User, other: User) -> None:
    if graph_queries.is_blocked_between(viewer.pk, other.pk):
        raise ApiError(403, gettext("This action is not allowed"))


@api.post(
    "/api/v1/accounts/{id}/follow",
    auth="user",
    scope="write:follows",
    params=FollowParams,
    response=Relationship,
    errors=(403,),
    tag="accounts",
)
def follow(call: Call, id: str) -> dict[str, Any]:
    """Follow an account (or ask to, when it approves its followers)."""
    params: FollowParams = call.params
    other = member_or_404(id)
    viewer = call.user
    if other.pk == viewer.pk:
        raise ApiError(403, gettext("This action is not allowed"))
    _refuse_if_blocked(viewer, other)
    graph_actions.follow(viewer, other, reblogs=params.reblogs, notify_posts=params.notify)
    return relationship_with(viewer, other.pk)


def _change(call: Call, id: str, action: Any) -> dict[str, Any]:
    other = member_or_404(id)
    viewer = call.user
    if other.pk != viewer.pk:
        action(viewer, other)
    return relationship_with(viewer, other.pk)


@api.post(
    "/api/v1/accounts/{id}/unfollow",
    auth="user",
    scope="write:follows",
    response=Relationship,
    tag="accounts",
)
def unfollow(call: Call, id: str) -> dict[str, Any]:
    """Stop following an account (or withdraw a follow request)."""
    return _change(call, id, graph_actions.unfollow)


@api.post(
    "/api/v1/accounts/{id}/remove_from_followers",
    auth="user",
    scope="write:follows",
    response=Relationship,
    tag="accounts",
)
def remove_from_followers(call: Call, id: str) -> dict[str, Any]:
    """Make an account stop following the caller."""
    return _change(call, id, lambda viewer, other: graph_actions.remove_follower(viewer, other))


@api.post(
    "/api/v1/accounts/{id}/block",
    auth="user",
    scope="write:blocks",
    response=Relationship,
    tag="accounts",
)
def block(call: Call, id: str) -> dict[str, Any]:
    """Block an account: follows both ways end, and neither sees the other."""
    return _change(call, id, graph_actions.block)


@api.post(
    "/api/v1/accounts/{id}/unblock",
    auth="user",
    scope="write:blocks",
    response=Relationship,
    tag="accounts",
)
def unblock(call: Call, id: str) -> dict[str, Any]:
    """Lift a block."""
    return _change(call, id, graph_actions.unblock)


class MuteParams(Params):
    notifications: bool = Field(default=True, description="Hide their notifications too")
    duration: int = Field(
        default=0, ge=0, le=10**9, description="Seconds the mute lasts; 0 for good"
    )

    @field_validator("duration", mode="before")
    @classmethod
    def _blank_is_forever(cls, value: Any) -> Any:
        return 0 if value is None else value


@api.post(
    "/api/v1/accounts/{id}/mute",
    auth="user",
    scope="write:mutes",
    params=MuteParams,
    response=Relationship,
    tag="accounts",
)
def mute(call: Call, id: str) -> dict[str, Any]:
    """Mute an account (for `duration` seconds, or until unmuted)."""
    params: MuteParams = call.params
    duration = timedelta(seconds=params.duration) if params.duration else None

    def act(viewer: User, other: User) -> None:
        graph_actions.mute(viewer, other, notifications=params.notifications, duration=duration)

    return _change(call, id, act)


@api.post(
    "/api/v1/accounts/{id}/unmute",
    auth="user",
    scope="write:mutes",
    response=Relationship,
    tag="accounts",
)
def unmute(call: Call, id: str) -> dict[str, Any]:
    """Unmute an account."""
    return _change(call, id, graph_actions.unmute)


@api.post(
    "/api/v1/accounts/{id}/endorse",
    auth="user",
    scope="write:accounts",
    response=Relationship,
    tag="accounts",
)
def endorse(call: Call, id: str) -> dict[str, Any]:
    """Feature an account the caller follows on their profile (Mastodon's endorsement)."""
    return _change(call, id, graph_actions.endorse)


@api.post(
    "/api/v1/accounts/{id}/pin",
    auth="user",
    scope="write:accounts",
    response=Relationship,
    tag="accounts",
)
def pin_account(call: Call, id: str) -> dict[str, Any]:
    """The same as `endorse`, under its name before Mastodon 4.4."""
    return _change(call, id, graph_actions.endorse)


@api.post(
    "/api/v1/accounts/{id}/unendorse",
    auth="user",
    scope="write:accounts",
    response=Relationship,
    tag="accounts",
)
def unendorse(call: Call, id: str) -> dict[str, Any]:
    """Stop featuring an account on the caller's profile."""
    return _change(call, id, graph_actions.unendorse)


@api.post(
    "/api/v1/accounts/{id}/unpin",
    auth="user",
    scope="write:accounts",
    response=Relationship,
    tag="accounts",
)
def unpin_account(call: Call, id: str) -> dict[str, Any]:
    """The same as `unendorse`, under its name before Mastodon 4.4."""
    return _change(call, id, graph_actions.unendorse)


class NoteParams(Params):
    # No max_length here: the action counts after trimming (NOTE_MAX characters).
    comment: str = Field(
        default="",
        description=f"The caller's private note about the account (at most {NOTE_MAX}"
        " characters); empty removes it",
    )

    @field_validator("comment", mode="before")
    @classmethod
    def _blank_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value


@api.post(
    "/api/v1/accounts/{id}/note",
    auth="user",
    scope="write:accounts",
    params=NoteParams,
    response=Relationship,
    tag="accounts",
)
def note(call: Call, id: str) -> dict[str, Any]:
    """Keep a private note about an account (only the caller sees it, in the relationship)."""
    params: NoteParams = call.params
    return _change(
        call, id, lambda viewer, other: graph_actions.set_note(viewer, other, params.comment)
    )


# --- lists of accounts ---------------------------------------------------------------------


class AccountPageParams(PageParams):
    limit: int = Field(default=40, ge=1, le=10_000, description="At most 80")


def _page(rows: QuerySet[Any], other: str, page: Page) -> list[tuple[int, int]]:
    """(row id, account id) pairs of a page of graph rows, newest row first, by row id."""
    found = cursor_values(
        rows,
        ("id", other),
        max_id=page.max_id,
        since_id=page.since_id,
        min_id=page.min_id,
        limit=page.limit,
    )
    return [(row_id, account_id) for row_id, account_id in found]


def _account_page(call: Call, rows: QuerySet[Any], other: str) -> Reply:
    pairs = _page(rows, other, page_of(call.params, **ACCOUNTS_PAGE))
    return Reply(
        accounts([account_id for _, account_id in pairs]),
        headers=link_header(call.request, [row_id for row_id, _ in pairs]),
    )


def _hidden_from(call: Call, member: User) -> bool:
    """The member keeps their follow lists from the caller (their setting, or a block):
    an empty list, as Mastodon answers for hidden collections."""
    return not graph_queries.connections_shown_to(call.viewer, member)


@api.get(
    "/api/v1/accounts/{id}/followers",
    auth="optional",
    scope="read:accounts",
    params=AccountPageParams,
    response=list[Account],
    tag="accounts",
)
def followers(call: Call, id: str) -> Reply:
    """The accounts following a member, most recent follow first."""
    member = member_or_404(id)
    if _hidden_from(call, member):
        return Reply([])
    rows = Follow.objects.filter(followee_id=member.pk, follower__is_active=True)
    rows = rows.filter(listed_people(call.viewer, "follower__"))
    return _account_page(call, rows, "follower_id")


@api.get(
    "/api/v1/accounts/{id}/following",
    auth="optional",
    scope="read:accounts",
    params=AccountPageParams,
    response=list[Account],
    tag="accounts",
)
def following(call: Call, id: str) -> Reply:
    """The accounts a member follows, most recent follow first."""
    member = member_or_404(id)
    if _hidden_from(call, member):
        return Reply([])
    rows = Follow.objects.filter(follower_id=member.pk, followee__is_active=True)
    rows = rows.filter(listed_people(call.viewer, "followee__"))
    return _account_page(call, rows, "followee_id")


@api.get(
    "/api/v1/accounts/{id}/endorsements",
    auth="optional",
    scope="read:accounts",
    params=AccountPageParams,
    response=list[Account],
    tag="accounts",
)
def featured_accounts(call: Call, id: str) -> Reply:
    """The accounts a member features on their profile, most recently featured first (without
    anyone blocked either way with the caller)."""
    member = member_or_404(id)
    if _hidden_from(call, member):
        return Reply([])
    viewer_id = call.viewer.pk if call.viewer is not None else None
    rows = graph_queries.featured_rows(member.pk, viewer_id)
    return _account_page(call, rows.filter(listed_people(call.viewer, "endorsed__")), "endorsed_id")


@api.get(
    "/api/v1/follow_requests",
    auth="user",
    scope="read:follows",
    params=AccountPageParams,
    response=list[Account],
    tag="follow_requests",
)
def follow_requests(call: Call) -> Reply:
    """Accounts waiting for the caller to approve their follow, newest first."""
    rows = FollowRequest.objects.filter(followee_id=call.user.pk, follower__is_active=True)
    return _account_page(call, rows, "follower_id")


def _answer_request(call: Call, id: str, approve: bool) -> dict[str, Any]:
    requester = member_or_404(id)
    viewer = call.user
    request_id = (
        FollowRequest.objects.filter(follower_id=requester.pk, followee_id=viewer.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if request_id is None:
        raise ApiError(404, gettext("Record not found"))
    try:
        if approve:
            graph_actions.approve_request(viewer, request_id)
        else:
            graph_actions.reject_request(viewer, request_id)
    except ValidationError as exc:  # answered meanwhile, in another request
        raise ApiError(404, gettext("Record not found")) from exc
    return relationship_with(viewer, requester.pk)


@api.post(
    "/api/v1/follow_requests/{id}/authorize",
    auth="user",
    scope="write:follows",
    response=Relationship,
    tag="follow_requests",
)
def authorize_request(call: Call, id: str) -> dict[str, Any]:
    """Let the account (by its id) follow the caller."""
    return _answer_request(call, id, approve=True)


@api.post(
    "/api/v1/follow_requests/{id}/reject",
    auth="user",
    scope="write:follows",
    response=Relationship,
    tag="follow_requests",
)
def reject_request(call: Call, id: str) -> dict[str, Any]:
    """Decline the account's (by its id) request to follow the caller."""
    return _answer_request(call, id, approve=False)


@api.get(
    "/api/v1/blocks",
    auth="user",
    scope="read:blocks",
    params=AccountPageParams,
    response=list[Account],
    tag="blocks",
)
def blocks(call: Call) -> Reply:
    """Accounts the caller blocked, most recent first."""
    rows = Block.objects.filter(blocker_id=call.user.pk, blocked__is_active=True)
    return _account_page(call, rows, "blocked_id")


@api.get(
    "/api/v1/mutes",
    auth="user",
    scope="read:mutes",
    params=AccountPageParams,
    response=list[Account],
    tag="mutes",
)
def mutes(call: Call) -> Reply:
    """Accounts the caller muted (mutes still in force), most recent first, each with when
    its mute ends (`mute_expires_at`, null for a mute without end)."""
    rows = graph_queries.active_mutes(call.user.pk).filter(muted__is_active=True)
    reply = _account_page(call, rows, "muted_id")
    ids = [int(entity["id"]) for entity in reply.data]
    ends = dict(rows.filter(muted_id__in=ids).values_list("muted_id", "expires_at"))
    for entity in reply.data:
        entity["mute_expires_at"] = iso(ends.get(int(entity["id"])))
    return reply


@api.get(
    "/api/v1/endorsements",
    auth="user",
    scope="read:accounts",
    params=AccountPageParams,
    response=list[Account],
    tag="endorsements",
)
def endorsements(call: Call) -> Reply:
    """Accounts the caller features on their profile, most recently featured first."""
    return _account_page(call, graph_queries.featured_rows(call.user.pk), "endorsed_id")
