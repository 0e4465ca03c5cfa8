"""The Status entity, for a whole page of posts in a fixed number of queries: the posts and what
they carry come from `posts.display.hydrate` (the same views the HTML cards use); accounts,
mentions and hashtags are read here, once per page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from townsquare.accounts.models import User
from townsquare.api.serializers.accounts import accounts_by_id
from townsquare.api.serializers.cards import card
from townsquare.api.serializers.common import iso, profile_url
from townsquare.api.serializers.media import attachment
from townsquare.api.serializers.polls import poll
from townsquare.core.sql import id_in
from townsquare.filters.queries import apply_filters
from townsquare.posts.display import PostView, hydrate
from townsquare.posts.queries import ListedPost, Viewer

VISIBILITY = {0: "public", 1: "unlisted", 2: "private", 3: "direct"}
VISIBILITY_CODES = {name: code for code, name in VISIBILITY.items()}


def status_url(username: str, post_id: int) -> str:
    return f"{settings.BASE_URL}/@{username}/{post_id}"


def _mentions_and_tags(
    post_ids: list[int],
) -> tuple[dict[int, list[dict[str, str]]], dict[int, list[dict[str, str]]]]:
    mentions: dict[int, list[dict[str, str]]] = {}
    tags: dict[int, list[dict[str, str]]] = {}
    if not post_ids:
        return mentions, tags
    mention_where, mention_params = id_in("m.post_id", post_ids)
    tag_where, tag_params = id_in("ph.post_id", post_ids)
    sql = (
        "SELECT 1, m.post_id, u.id, u.username FROM posts_mention m"  # noqa: S608
        f" JOIN accounts_user u ON u.id = m.user_id WHERE {mention_where} AND u.is_active"
        " UNION ALL SELECT 2, ph.post_id, h.id, h.name FROM posts_posthashtag ph"
        f" JOIN posts_hashtag h ON h.id = ph.hashtag_id WHERE {tag_where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*mention_params, *tag_params])
        rows = cursor.fetchall()
    for kind, post_id, row_id, name in sorted(rows, key=lambda r: (r[0], r[1], r[3])):
        if kind == 1:
            mentions.setdefault(post_id, []).append(
                {"id": str(row_id), "username": name, "url": profile_url(name), "acct": name}
            )
        else:
            tags.setdefault(post_id, []).append(
                {"name": name, "url": f"{settings.BASE_URL}/tags/{quote(name)}"}
            )
    return mentions, tags


def _body(
    post: ListedPost,
    view: PostView | None,
    account: dict[str, Any],
    mentions: dict[int, list[dict[str, str]]],
    tags: dict[int, list[dict[str, str]]],
) -> dict[str, Any]:
    url = status_url(post.author.username, post.id)
    return {
        "id": str(post.id),
        "uri": url,
        "url": url,
        "created_at": iso(post.created_at),
        "edited_at": iso(post.edited_at),
        "account": account,
        "content": post.html,
        "text": None,
        "visibility": VISIBILITY.get(post.visibility, "public"),
        "sensitive": post.sensitive or bool(post.spoiler_text),
        "spoiler_text": post.spoiler_text,
        "media_attachments": [attachment(m) for m in view.media] if view else [],
        "application": None,
        "mentions": mentions.get(post.id, []),
        "tags": tags.get(post.id, []),
        "emojis": [],
        "reblogs_count": post.shares_count,
        "favourites_count": post.likes_count,
        "replies_count": post.replies_count,
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_account_id": str(post.in_reply_to_author_id)
        if post.in_reply_to_author_id
        else None,
        "reblog": None,
        "poll": poll(view.poll) if view and view.poll is not None else None,
        "card": card(view.card) if view and view.card is not None else None,
        "language": "en",
        "filtered": [],
    }


def _own_posts(
    member: User | None, views: Sequence[PostView]
) -> tuple[dict[int, dict[str, Any]], frozenset[int]]:
    """For the member's own posts on the page: the app each was made with (shown to its
    author only) and which of them are pinned. One query, and only when the page has posts
    of theirs."""
    own = [v.post.id for v in views if member is not None and v.post.author_id == member.pk]
    if member is None or not own:
        return {}, frozenset()
    where, params = id_in("p.id", own)
    sql = (
        "SELECT p.id, a.name, i.website,"  # noqa: S608
        " EXISTS (SELECT 1 FROM posts_pin pn WHERE pn.post_id = p.id AND pn.user_id = %s)"
        " FROM posts_post p"
        " LEFT JOIN oauth2_provider_application a ON a.id = p.application_id"
        f" LEFT JOIN api_appinfo i ON i.application_id = a.id WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [member.pk, *params])
        rows = cursor.fetchall()
    apps = {
        pid: {"name": name, "website": website or None}
        for pid, name, website, _ in rows
        if name is not None
    }
    return apps, frozenset(pid for pid, _, _, pinned in rows if pinned)


def statuses_for(
    viewer: Viewer,
    views: Sequence[PostView],
    *,
    pinned_ids: frozenset[int] | None = None,
    context: str | None = None,
) -> list[dict[str, Any]]:
    """Status entities for hydrated views, in their order. With a filter `context` (home,
    notifications, public, thread, account), the viewer's filters mark them (`filtered`) and
    leave out those a `hide` filter matches."""
    if not views:
        return []
    member = viewer if isinstance(viewer, User) and viewer.is_authenticated else None
    shown = [v.post for v in views] + [v.quoted for v in views if v.quoted is not None]
    author_ids = {p.author_id for p in shown} | {v.item.author_id for v in views}
    authors = accounts_by_id(author_ids)
    mentions, tags = _mentions_and_tags(sorted({p.id for p in shown}))
    apps, pinned = _own_posts(member, views)
    if pinned_ids is None:
        pinned_ids = pinned
    out: list[dict[str, Any]] = []
    for view in views:
        account = authors.get(view.post.author_id)
        if account is None:
            continue
        entity = _body(view.post, view, account, mentions, tags)
        if view.post.id in apps:
            entity["application"] = apps[view.post.id]
        if view.quoted is not None and view.quoted.author_id in authors:
            entity["quote"] = _body(
                view.quoted, None, authors[view.quoted.author_id], mentions, tags
            )
        if member is not None:
            entity["favourited"] = view.liked
            entity["reblogged"] = view.shared
            entity["bookmarked"] = view.bookmarked
            entity["muted"] = False
            entity["pinned"] = view.post.id in pinned_ids
        if view.shared_by is not None:
            sharer = authors.get(view.item.author_id)
            if sharer is None:
                continue
            wrapper = _body(view.item, None, sharer, {}, {})
            wrapper["content"] = ""
            wrapper["reblog"] = entity
            if member is not None:
                for flag in ("favourited", "reblogged", "bookmarked", "muted", "pinned"):
                    wrapper[flag] = entity[flag]
            out.append(wrapper)
        else:
            out.append(entity)
    if context is not None and member is not None:
        out = apply_filters(member, context, out)
    return out


def statuses(
    viewer: Viewer, items: Sequence[ListedPost], *, context: str | None = None
) -> list[dict[str, Any]]:
    return statuses_for(viewer, hydrate(viewer, items), context=context)


def status(viewer: Viewer, item: ListedPost) -> dict[str, Any] | None:
    found = statuses(viewer, [item])
    return found[0] if found else None
