"""What members do with a status: favourite, reblog, bookmark, pin (and undo each), and who
favourited or reblogged it. Every status acted on must be one the caller may see (404
otherwise, as if it did not exist)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.db.models import QuerySet
from django.utils.translation import gettext

from townsquare.accounts.queries import listed_people
from townsquare.api.endpoints.statuses import post_or_404, render
from townsquare.api.errors import ApiError
from townsquare.api.pagination import PageParams, link_header, page_of
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, Handler, Reply
from townsquare.api.schemas.entities import Account, Status
from townsquare.api.serializers.accounts import accounts_by_id
from townsquare.api.serializers.statuses import VISIBILITY_CODES
from townsquare.notifications import actions as notification_actions
from townsquare.posts import actions
from townsquare.posts.models import Like, Post
from townsquare.posts.queries import OPEN, visible_to


def _action(path: str, scope: str, **extra: Any) -> Callable[[Handler], Handler]:
    """A POST on a status, answered with a Status; the write layer counts it against the
    member's limits itself."""
    return api.post(
        f"/api/v1/statuses/{{id}}/{path}",
        auth="user",
        scope=scope,
        response=Status,
        rate_limited=False,
        **extra,
    )


def _original(post: Post) -> Post:
    return post.reblog_of if post.reblog_of is not None else post


@_action("favourite", "write:favourites")
def favourite(call: Call, id: str) -> dict[str, Any]:
    """Favourite a status."""
    post = actions.like(call.user, post_or_404(call.user, id))
    return render(call.user, post.pk)


@_action("unfavourite", "write:favourites")
def unfavourite(call: Call, id: str) -> dict[str, Any]:
    """Take a favourite back."""
    post = actions.unlike(call.user, post_or_404(call.user, id))
    return render(call.user, post.pk)


class ReblogParams(Params):
    visibility: Literal["public", "unlisted", "private"] = "public"


@_action("reblog", "write:statuses", params=ReblogParams, errors=(403,))
def reblog(call: Call, id: str) -> dict[str, Any]:
    """Reblog (share) a public or unlisted status; answers with the reblog."""
    params: ReblogParams = call.params
    original = _original(post_or_404(call.user, id))
    if original.visibility not in OPEN:
        raise ApiError(403, gettext("This action is not allowed"))
    shared = actions.share(call.user, original, visibility=VISIBILITY_CODES[params.visibility])
    return render(call.user, shared.pk)


@_action("unreblog", "write:statuses")
def unreblog(call: Call, id: str) -> dict[str, Any]:
    """Undo a reblog; answers with the original status."""
    original = _original(post_or_404(call.user, id))
    actions.unshare(call.user, original)
    return render(call.user, original.pk)


@_action("bookmark", "write:bookmarks")
def bookmark(call: Call, id: str) -> dict[str, Any]:
    """Bookmark a status."""
    post = actions.bookmark(call.user, post_or_404(call.user, id))
    return render(call.user, post.pk)


@_action("unbookmark", "write:bookmarks")
def unbookmark(call: Call, id: str) -> dict[str, Any]:
    """Remove a bookmark."""
    original = _original(post_or_404(call.user, id))
    actions.unbookmark(call.user, original)
    return render(call.user, original.pk)


@_action("pin", "write:accounts", errors=(422,))
def pin(call: Call, id: str) -> dict[str, Any]:
    """Pin one's own status to one's profile (at most five)."""
    post = post_or_404(call.user, id)
    actions.pin(call.user, post)
    return render(call.user, post.pk)


@_action("unpin", "write:accounts")
def unpin(call: Call, id: str) -> dict[str, Any]:
    """Unpin a status."""
    post = post_or_404(call.user, id)
    actions.unpin(call.user, post)
    return render(call.user, post.pk)


@_action("mute", "write:mutes")
def mute_conversation(call: Call, id: str) -> dict[str, Any]:
    """Mute the conversation a status is part of: no notifications about it any more."""
    post = _original(post_or_404(call.user, id))
    notification_actions.mute_thread(call.user, post)
    return render(call.user, post.pk)


@_action("unmute", "write:mutes")
def unmute_conversation(call: Call, id: str) -> dict[str, Any]:
    """Hear about the conversation again."""
    post = _original(post_or_404(call.user, id))
    notification_actions.unmute_thread(call.user, post)
    return render(call.user, post.pk)


# Who favourited, who reblogged ----------------------------------------------------------------


def _page(call: Call, rows: QuerySet[Any], user_column: str) -> Reply:
    params: PageParams = call.params
    page = page_of(params, default=40, ceiling=80)
    if page.max_id is not None:
        rows = rows.filter(id__lt=page.max_id)
    if page.since_id is not None:
        rows = rows.filter(id__gt=page.since_id)
    if page.min_id is not None:
        found = list(
            rows.filter(id__gt=page.min_id)
            .order_by("id")
            .values_list("id", user_column)[: page.limit]
        )
        found.reverse()
    else:
        found = list(rows.order_by("-id").values_list("id", user_column)[: page.limit])
    people = accounts_by_id([user_id for _, user_id in found])
    entities = [people[user_id] for _, user_id in found if user_id in people]
    return Reply(entities, headers=link_header(call.request, [row_id for row_id, _ in found]))


@api.get(
    "/api/v1/statuses/{id}/favourited_by",
    auth="optional",
    scope="read:accounts",
    params=PageParams,
    response=list[Account],
)
def favourited_by(call: Call, id: str) -> Reply:
    """Who favourited a status (newest first, with Link pagination)."""
    original = _original(post_or_404(call.viewer, id))
    likes = Like.objects.filter(post_id=original.pk).filter(listed_people(call.viewer, "user__"))
    return _page(call, likes, "user_id")


@api.get(
    "/api/v1/statuses/{id}/reblogged_by",
    auth="optional",
    scope="read:accounts",
    params=PageParams,
    response=list[Account],
)
def reblogged_by(call: Call, id: str) -> Reply:
    """Who reblogged a status (newest first, with Link pagination)."""
    original = _original(post_or_404(call.viewer, id))
    shares = visible_to(call.viewer, Post.objects.filter(reblog_of_id=original.pk))
    return _page(call, shares, "author_id")
