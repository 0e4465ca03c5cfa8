"""The Account entity (and CredentialAccount, with `source`), for any number of members in one
query: profile columns and the counts Mastodon shows beside them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.html import escape

from townsquare.accounts.models import User
from townsquare.api.serializers import cache
from townsquare.api.serializers.common import (
    absolute,
    day,
    iso,
    media_url,
    profile_url,
    static_url,
)
from townsquare.core.sql import id_in
from townsquare.graph.models import FollowRequest
from townsquare.posts.queries import ListedAuthor

_COLUMNS = (
    "u.id, u.username, u.display_name, u.bio_html, u.fields, u.avatar, u.header, u.locked,"
    " u.discoverable, u.created_at,"
    " (SELECT COUNT(*) FROM graph_follow f JOIN accounts_user o ON o.id = f.follower_id"
    "  WHERE f.followee_id = u.id AND o.is_active),"
    " (SELECT COUNT(*) FROM graph_follow f JOIN accounts_user o ON o.id = f.followee_id"
    "  WHERE f.follower_id = u.id AND o.is_active),"
    " (SELECT COUNT(*) FROM posts_post p WHERE p.author_id = u.id),"
    " (SELECT MAX(p.created_at) FROM posts_post p WHERE p.author_id = u.id)"
)


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _fields(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        raw = json.loads(raw or "[]")
    out = []
    for item in raw or []:
        if isinstance(item, dict) and item.get("name"):
            out.append(
                {
                    "name": str(item.get("name", "")),
                    "value": escape(str(item.get("value", ""))),
                    "verified_at": None,
                }
            )
    return out


def _entity(row: tuple[Any, ...]) -> dict[str, Any]:
    (uid, username, display_name, bio_html, fields, avatar, header, locked, discoverable) = row[:9]
    created, followers, following, statuses, last_status = row[9:14]
    avatar_url = media_url(avatar) or static_url("townsquare/missing-avatar.png")
    header_url = media_url(header) or static_url("townsquare/missing-header.png")
    created_at = _when(created)
    return {
        "id": str(uid),
        "username": username,
        "acct": username,
        "url": profile_url(username),
        "uri": profile_url(username),
        "display_name": display_name or "",
        "note": bio_html or "",
        "avatar": avatar_url,
        "avatar_static": avatar_url,
        "header": header_url,
        "header_static": header_url,
        "locked": bool(locked),
        "fields": _fields(fields),
        "emojis": [],
        "bot": False,
        "group": False,
        "discoverable": bool(discoverable),
        "indexable": bool(discoverable),
        "noindex": False,
        "hide_collections": False,
        # Mastodon gives the day the account was made, at midnight.
        "created_at": iso(created_at.replace(hour=0, minute=0, second=0, microsecond=0))
        if created_at
        else None,
        "last_status_at": day(_when(last_status)),
        "statuses_count": int(statuses or 0),
        "followers_count": int(followers or 0),
        "following_count": int(following or 0),
        "roles": [],
    }


def accounts_by_id(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Account entities of the active members among `ids`, in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    where, params = id_in("u.id", wanted)
    sql = f"SELECT {_COLUMNS} FROM accounts_user u WHERE {where} AND u.is_active"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {row[0]: _entity(row) for row in rows}


def _stamp(author: ListedAuthor) -> tuple[str, str, str, bool]:
    return (author.username, author.display_name, author.avatar, author.locked)


def accounts_of_authors(authors: Mapping[int, ListedAuthor]) -> dict[int, dict[str, Any]]:
    """Account entities of the authors on a page of posts: from this process's entity cache
    while their name, avatar and lock (read with the page) are unchanged and their counts
    are at most `cache.ACCOUNT_TTL` seconds old; the others in one query. Shared: never
    change the dictionaries returned."""
    found: dict[int, dict[str, Any]] = {}
    missing: list[int] = []
    for uid, author in authors.items():
        entity = cache.accounts.get(uid, _stamp(author))
        if entity is None:
            missing.append(uid)
        else:
            found[uid] = entity
    if missing:
        fresh = accounts_by_id(missing)
        for uid, entity in fresh.items():
            cache.accounts.put(uid, _stamp(authors[uid]), entity, ttl=cache.ACCOUNT_TTL)
        found.update(fresh)
    return found


def account(user: User) -> dict[str, Any]:
    if user.is_suspended:
        return suspended_account(user)
    found = accounts_by_id([user.pk])
    if user.pk not in found:  # an inactive member, shown to themselves or to staff
        found = {user.pk: _entity(_row_of(user))}
    if user.is_limited:
        return {**found[user.pk], "limited": True}
    return found[user.pk]


def suspended_account(user: User) -> dict[str, Any]:
    """A suspended account, as Mastodon shows one: `suspended`, and nothing of its profile."""
    entity = _entity(
        (user.pk, user.username, "", "", [], "", "", False, False, user.created_at, 0, 0, 0, None)
    )
    entity["suspended"] = True
    return entity


def accounts(ids: list[int]) -> list[dict[str, Any]]:
    """Entities in the order of `ids`, leaving out members who are gone."""
    found = accounts_by_id(ids)
    return [found[i] for i in ids if i in found]


def _row_of(user: User) -> tuple[Any, ...]:
    return (
        user.pk,
        user.username,
        user.display_name,
        user.bio_html,
        user.fields,
        user.avatar,
        user.header,
        user.locked,
        user.discoverable,
        user.created_at,
        0,
        0,
        0,
        None,
    )


PRIVACY = {0: "public", 1: "unlisted", 2: "private", 3: "direct"}


def credential_account(user: User) -> dict[str, Any]:
    """The caller's own account, with `source` (the raw text of their profile and their
    posting defaults)."""
    entity = account(user)
    entity["source"] = {
        "privacy": PRIVACY.get(user.default_visibility, "public"),
        "sensitive": bool(user.default_sensitive),
        "language": user.default_language or None,
        "note": user.bio,
        "fields": [
            {"name": str(f.get("name", "")), "value": str(f.get("value", "")), "verified_at": None}
            for f in (user.fields or [])
            if isinstance(f, dict) and f.get("name")
        ],
        "follow_requests_count": FollowRequest.objects.filter(followee=user).count(),
        "hide_collections": user.connections_visibility != 0,  # not shown to everyone
        "discoverable": user.discoverable,
        "indexable": user.discoverable,
    }
    entity["hide_collections"] = entity["source"]["hide_collections"]
    entity["role"] = {
        "id": "-99" if user.role == "member" else ("1" if user.role == "moderator" else "3"),
        "name": "" if user.role == "member" else user.get_role_display(),
        "color": "",
        "permissions": "0",
        "highlighted": False,
    }
    return entity


def absolute_avatar(user: User) -> str:
    return absolute(media_url(user.avatar) or static_url("townsquare/missing-avatar.png"))
