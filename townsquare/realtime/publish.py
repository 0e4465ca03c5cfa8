"""What the write side tells the streaming API, each once its transaction commits.

Actions call these functions inside their transaction; the event is rendered and published
by `transaction.on_commit`, so a rolled-back write streams nothing, and a failure here is
logged and never undoes the write. A post is rendered once, without a viewer's marks
(favourited, bookmarked, ...), and that one payload goes to every stream, as Mastodon does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.lists.queries import owners_excluding
from townsquare.realtime import bus

logger = logging.getLogger(__name__)

PUBLIC = 0  # posts.models.Visibility.PUBLIC
VIEWER_MARKS = ("favourited", "reblogged", "bookmarked", "muted", "pinned")


def _after_commit(func: Callable[[], None]) -> None:
    def run() -> None:
        try:
            func()
        except Exception:
            logger.exception("publishing a streaming event failed")

    transaction.on_commit(run)


# --- rendering -----------------------------------------------------------------------------


def _strip(entity: dict[str, Any], hidden_polls: set[str]) -> None:
    """What only the viewer who rendered the entity may see goes: their marks, the app of
    their own post, their votes, and the counts of a poll that hides them until it ends
    (`hidden_polls`: their ids)."""
    for key in VIEWER_MARKS:
        entity.pop(key, None)
    entity["application"] = None
    poll = entity.get("poll")
    if isinstance(poll, dict):
        poll.pop("voted", None)
        poll.pop("own_votes", None)
        if poll.get("id") in hidden_polls and not poll.get("expired"):
            for option in poll.get("options", []):
                option["votes_count"] = None
    for inner in ("reblog", "quote"):
        if isinstance(entity.get(inner), dict):
            _strip(entity[inner], hidden_polls)


def _hidden_polls(entity: dict[str, Any]) -> set[str]:
    """Ids of the polls in `entity` (and what it shares or quotes) that hide their totals."""
    ids = [
        int(found["poll"]["id"])
        for found in (entity, entity.get("reblog"), entity.get("quote"))
        if isinstance(found, dict) and isinstance(found.get("poll"), dict)
    ]
    if not ids:
        return set()
    from townsquare.polls.models import Poll

    hidden = Poll.objects.filter(pk__in=ids, hide_totals=True).values_list("pk", flat=True)
    return {str(pk) for pk in hidden}


def _involved(entity: dict[str, Any]) -> set[int]:
    """The members a status shows: its author, whom it mentions, and the same for the post
    it shares or quotes. Members who block or mute one of them do not get it streamed."""
    ids = {int(entity["account"]["id"])}
    ids.update(int(m["id"]) for m in entity.get("mentions", []))
    for inner in ("reblog", "quote"):
        if isinstance(entity.get(inner), dict):
            ids |= _involved(entity[inner])
    return ids


def render_status(post_id: int, author_id: int) -> tuple[dict[str, Any], str] | None:
    """The Status entity of a post (as its author's followers see it, without viewer marks)
    and its JSON, or None when the post is gone."""
    from townsquare.api.serializers.statuses import status
    from townsquare.posts.queries import Viewer, posts_by_id

    viewer: Viewer = None
    item = posts_by_id(None, [post_id]).get(post_id)
    if item is None:  # followers-only or mentioned-only: rendered as its author sees it
        viewer = User(pk=author_id, is_active=True)
        item = posts_by_id(viewer, [post_id]).get(post_id)
    if item is None:
        return None
    entity = status(viewer, item)
    if entity is None:
        return None
    _strip(entity, _hidden_polls(entity))
    return entity, orjson.dumps(entity).decode()


def _hashtags(post_id: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT h.name FROM posts_posthashtag ph JOIN posts_hashtag h ON h.id = ph.hashtag_id"
            " WHERE ph.post_id = %s",
            [post_id],
        )
        return [row[0] for row in cursor.fetchall()]


def _in_group(post_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT group_id FROM posts_post WHERE id = %s", [post_id])
        row = cursor.fetchone()
    return row is not None and row[0] is not None


def _listed_publicly(post_id: int) -> bool:
    """Whether the post may reach the site-wide streams: its author is not limited by the
    moderators (posts.visibility decides the same for the public timelines)."""
    limited = User.objects.filter(posts__id=post_id, limited_until__gt=timezone.now()).exists()
    return not limited


def _public_streams(entity: dict[str, Any], post_id: int, *, in_group: bool) -> list[str]:
    """The site-wide streams of a post: public ones that are not shares, nor posts in a
    group (those reach the group's members only; every member is local, so "public" and
    "public:local" carry the same posts)."""
    if entity.get("visibility") != "public" or entity.get("reblog") is not None or in_group:
        return []
    if not _listed_publicly(post_id):  # a limited account's: its followers' homes only
        return []
    streams = ["public", "public:local"]
    if entity.get("media_attachments"):
        streams += ["public:media", "public:local:media"]
    for name in _hashtags(post_id):
        streams += [f"hashtag:{name}", f"hashtag:local:{name}"]
    return streams


def _list_streams(entity: dict[str, Any]) -> list[str]:
    """The list streams a post belongs on: lists holding its author whose owner still follows
    them (direct posts never), replies to others as each list's replies policy says."""
    if entity.get("visibility") == "direct":
        return []
    author = int(entity["account"]["id"])
    answered = entity.get("in_reply_to_account_id")
    answered_id = int(answered) if answered and int(answered) != author else None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.id, l.replies_policy,"
            " EXISTS (SELECT 1 FROM lists_listmember o WHERE o.member_list_id = l.id"
            "  AND o.member_id = %s),"
            " EXISTS (SELECT 1 FROM graph_follow g WHERE g.follower_id = l.owner_id"
            "  AND g.followee_id = %s)"
            " FROM lists_memberlist l JOIN lists_listmember m ON m.member_list_id = l.id"
            " JOIN graph_follow f ON f.follower_id = l.owner_id AND f.followee_id = m.member_id"
            " WHERE m.member_id = %s",
            [answered_id or 0, answered_id or 0, author],
        )
        rows = cursor.fetchall()
    streams = []
    for list_id, policy, answered_on_list, answered_followed in rows:
        if answered_id is not None and not (
            (policy == "list" and answered_on_list) or (policy == "followed" and answered_followed)
        ):
            continue
        streams.append(f"list:{list_id}")
    return streams


def _home_owners(post_id: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT owner_id FROM feeds_timelineentry WHERE post_id = %s", [post_id])
        return [row[0] for row in cursor.fetchall()]


# --- posts ---------------------------------------------------------------------------------


def post_created(post_id: int, author_id: int) -> None:
    """A new post (or share): `update` on its author's home stream, and on the public and
    hashtag streams when it is public. Followers get theirs from fan-out (`home_delivered`)."""

    def send() -> None:
        rendered = render_status(post_id, author_id)
        if rendered is None:
            return
        entity, payload = rendered
        in_group = _in_group(post_id)
        streams = [f"user:{author_id}", *_public_streams(entity, post_id, in_group=in_group)]
        if not in_group:
            streams += _list_streams(entity)
        bus.publish("update", payload, streams, accounts=_involved(entity))
        if entity.get("visibility") == "direct":
            _conversation_changed(post_id, entity)

    _after_commit(send)


def _conversation_changed(post_id: int, entity: dict[str, Any]) -> None:
    """`conversation` on the direct stream of everyone in a direct post's thread: the
    Conversation entity as each of them sees it."""
    from townsquare.api.serializers.conversations import conversation_entities
    from townsquare.conversations.queries import get_conversation

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(conversation_id, id) FROM posts_post WHERE id = %s", [post_id]
        )
        row = cursor.fetchone()
    if row is None:
        return
    people = {int(entity["account"]["id"])} | {int(m["id"]) for m in entity.get("mentions", [])}
    for member in User.objects.filter(pk__in=people, is_active=True):
        found = get_conversation(member, row[0])
        if found is None:
            continue
        rendered = conversation_entities(member, [found])
        if rendered:
            bus.publish("conversation", orjson.dumps(rendered[0]).decode(), [f"direct:{member.pk}"])


def filters_changed(owner_id: int) -> None:
    """`filters_changed` on the member's user stream, so apps read their filters again."""
    _after_commit(lambda: bus.publish("filters_changed", "null", [f"user:{owner_id}"]))


def silencing_changed(*member_ids: int) -> None:
    """A block, a mute or their end changed whose posts these members are shown: their open
    streams read their block and mute lists again before they deliver anything more."""
    keys = [bus.silencing_key(member_id) for member_id in member_ids]
    _after_commit(lambda: bus.publish(bus.SILENCED, "null", keys))


def home_delivered(post_id: int, author_id: int, owner_ids: Iterable[int]) -> None:
    """A post reached these members' home feeds: `update` on their home streams (not for
    those who keep its author on an exclusive list: it shows in that list only)."""
    owners = list(owner_ids)
    if owners:
        excluded = owners_excluding(author_id, owners)
        owners = [owner for owner in owners if owner not in excluded]
    if not owners:
        return

    def send() -> None:
        rendered = render_status(post_id, author_id)
        if rendered is None:
            return
        entity, payload = rendered
        streams = [f"user:{owner}" for owner in owners]
        bus.publish("update", payload, streams, accounts=_involved(entity))

    _after_commit(send)


def broadcast_delivered(post_id: int, author_id: int) -> None:
    """A broadcaster's post (feeds.broadcasters): `update` on the home streams of its
    followers, published once on the author's followers key; each streaming process finds
    which of its connected members that is."""
    from townsquare.feeds.broadcasters import followers_key
    from townsquare.posts.models import Post

    post = Post.objects.filter(pk=post_id).values("reblog_of_id", "in_reply_to_author_id").first()
    if post is None:
        return
    key = followers_key(
        author_id, share=post["reblog_of_id"] is not None, reply_to=post["in_reply_to_author_id"]
    )

    def send() -> None:
        rendered = render_status(post_id, author_id)
        if rendered is None:
            return
        entity, payload = rendered
        bus.publish("update", payload, [key], accounts=_involved(entity))

    _after_commit(send)


def home_batch_delivered(post_id: int, author_id: int, first_id: int, last_id: int) -> None:
    """A fan-out batch wrote a post to the home feeds of followers with ids in a range: the
    ones that hold it now get `update` (one indexed query by post)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT owner_id FROM feeds_timelineentry"
            " WHERE post_id = %s AND owner_id >= %s AND owner_id <= %s",
            [post_id, first_id, last_id],
        )
        owners = [row[0] for row in cursor.fetchall()]
    home_delivered(post_id, author_id, [owner for owner in owners if owner != author_id])


def post_edited(post_id: int, author_id: int) -> None:
    """`status.update` wherever the post may have been streamed."""

    def send() -> None:
        rendered = render_status(post_id, author_id)
        if rendered is None:
            return
        entity, payload = rendered
        owners = _home_owners(post_id)
        excluded = owners_excluding(author_id, owners)  # exclusive lists: not in their home
        streams = [f"user:{owner}" for owner in owners if owner not in excluded]
        public = _public_streams(entity, post_id, in_group=_in_group(post_id))
        streams += [f"user:{author_id}", *public]
        bus.publish("status.update", payload, streams, accounts=_involved(entity))

    _after_commit(send)


def post_deleted(post_id: int, author_id: int, *, public: bool) -> None:
    """`delete` (the id) on every stream that may have shown the post. Call it before the
    post's rows are deleted: the home feeds holding it are read now."""
    streams = [f"user:{owner}" for owner in _home_owners(post_id)] + [f"user:{author_id}"]
    if public:
        streams += ["public", "public:local", "public:media", "public:local:media"]
        for name in _hashtags(post_id):
            streams += [f"hashtag:{name}", f"hashtag:local:{name}"]
    _after_commit(lambda: bus.publish("delete", str(post_id), streams))


# --- notifications -------------------------------------------------------------------------


def notification_created(notification: Any) -> None:
    """`notification` on the recipient's user and notification streams."""
    recipient_id = notification.recipient_id

    def send() -> None:
        from townsquare.api.serializers.notifications import notifications
        from townsquare.notifications.queries import NotificationRow

        member = User.objects.filter(pk=recipient_id, is_active=True).first()
        if member is None:
            return
        row = NotificationRow(
            id=notification.pk,
            kind=str(notification.kind),
            actor_id=notification.actor_id,
            post_id=notification.post_id,
            created_at=notification.created_at,
            read=False,
        )
        entities = notifications(member, [row])
        if not entities:
            return  # a kind Mastodon apps do not know, or its post is gone
        streams = [f"user:{recipient_id}", f"user:notification:{recipient_id}"]
        bus.publish("notification", orjson.dumps(entities[0]).decode(), streams)

    _after_commit(send)


def visitors_rule_changed() -> None:
    """A member changed whether visitors see their posts: every streaming process reads the
    rule again before it sends anything more to a visitor."""
    _after_commit(lambda: bus.publish(bus.VISITORS_CHANGED, "", [bus.VISITORS_CHANGED]))
