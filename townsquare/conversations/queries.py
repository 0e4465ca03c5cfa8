"""Conversations, read from the posts: the direct (mentioned-people-only) posts a member may
see, grouped by thread, newest activity first. Only what the member did with one (read it,
hid it) is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from townsquare.accounts.models import User
from townsquare.core.sql import id_in
from townsquare.posts.models import Visibility
from townsquare.posts.queries import visibility_sql

_DIRECT = int(Visibility.MENTIONED)


@dataclass(frozen=True)
class Conversation:
    id: int  # the thread's root post id
    last_post_id: int  # the newest direct post in it the member may see
    unread: bool


def _grouped(member: User, extra_where: str, extra_params: Sequence[object]) -> tuple[str, list]:
    """SQL for the member's conversations: (id, last post id, last post by someone else)."""
    visible, visible_params = visibility_sql(member)
    sql = (
        "SELECT COALESCE(p.conversation_id, p.id) AS cid, MAX(p.id) AS last_id,"  # noqa: S608
        " MAX(CASE WHEN p.author_id <> %s THEN p.id ELSE 0 END) AS last_in"
        " FROM posts_post p JOIN accounts_user u ON u.id = p.author_id"
        f" WHERE p.visibility = {_DIRECT} AND (p.author_id = %s OR p.id IN"
        " (SELECT m.post_id FROM posts_mention m WHERE m.user_id = %s))"
        f" AND {visible}{extra_where}"
        " GROUP BY COALESCE(p.conversation_id, p.id)"
    )
    return sql, [member.pk, member.pk, member.pk, *visible_params, *extra_params]


def conversations_of(
    member: User,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
) -> list[Conversation]:
    """A page of the member's conversations (those they hid left out, until a newer post),
    newest activity first; the cursors are last-post ids, as Mastodon pages them."""
    grouped, params = _grouped(member, "", ())
    cursors = ""
    cursor_params: list[int] = []
    for value, condition in ((max_id, "<"), (since_id, ">"), (min_id, ">")):
        if value is not None:
            cursors += f" AND c.last_id {condition} %s"
            cursor_params.append(value)
    direction = "ASC" if min_id is not None else "DESC"
    sql = (
        "SELECT c.cid, c.last_id, c.last_in, COALESCE(s.read_up_to, 0)"  # noqa: S608
        f" FROM ({grouped}) c LEFT JOIN conversations_conversationstate s"
        " ON s.member_id = %s AND s.conversation_id = c.cid"
        f" WHERE c.last_id > COALESCE(s.hidden_up_to, 0){cursors}"
        f" ORDER BY c.last_id {direction} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, member.pk, *cursor_params, limit])
        rows = cursor.fetchall()
    found = [Conversation(cid, last_id, last_in > read) for cid, last_id, last_in, read in rows]
    if min_id is not None:
        found.reverse()
    return found


def get_conversation(member: User, conversation_id: int) -> Conversation | None:
    """One of the member's conversations (hidden or not), or None when they have no direct
    post in that thread they may see."""
    grouped, params = _grouped(
        member, " AND COALESCE(p.conversation_id, p.id) = %s", (conversation_id,)
    )
    sql = (
        "SELECT c.cid, c.last_id, c.last_in, COALESCE(s.read_up_to, 0)"  # noqa: S608
        f" FROM ({grouped}) c LEFT JOIN conversations_conversationstate s"
        " ON s.member_id = %s AND s.conversation_id = c.cid"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, member.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    cid, last_id, last_in, read = row
    return Conversation(cid, last_id, last_in > read)


def participants(member: User, post_ids: Sequence[int]) -> dict[int, set[int]]:
    """Who is in each post besides `member`: its author and the members it mentions."""
    if not post_ids:
        return {}
    where, params = id_in("p.id", post_ids)
    sql = (
        f"SELECT p.id, p.author_id FROM posts_post p WHERE {where}"  # noqa: S608
        f" UNION ALL SELECT m.post_id, m.user_id FROM posts_mention m"
        f" JOIN posts_post p ON p.id = m.post_id WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params])
        rows = cursor.fetchall()
    found: dict[int, set[int]] = {pk: set() for pk in post_ids}
    for post_id, user_id in rows:
        if user_id != member.pk:
            found.setdefault(post_id, set()).add(user_id)
    return found
