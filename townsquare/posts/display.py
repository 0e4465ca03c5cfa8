"""Everything a list of posts shows, loaded for a whole page in a fixed number of queries:
shared originals and quoted posts (through the visibility decision), media, polls, link
cards, and what the viewer did (liked, shared, bookmarked). HTML and API serializers both
read these views; neither queries per post."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from townsquare.accounts.models import User
from townsquare.communities.models import GroupPin, Membership, MembershipState, Role
from townsquare.core.sql import id_in
from townsquare.links.queries import cards_for, previews_enabled
from townsquare.media.queries import attachments_for
from townsquare.polls.queries import polls_for
from townsquare.posts.models import Pin
from townsquare.posts.queries import ListedAuthor, ListedPost, Viewer, posts_by_id


@dataclass
class PostView:
    item: ListedPost  # the row listed: a post, or a share of one
    post: ListedPost  # what is shown: the post itself, or the shared original
    shared_by: ListedAuthor | None = None
    quoted: ListedPost | None = None
    reply_to_username: str | None = None
    media: list[Any] = field(default_factory=list)
    poll: Any = None
    card: Any = None
    liked: bool = False
    shared: bool = False
    bookmarked: bool = False
    pinned: bool = False  # shown as pinned (on the profile's pinned posts)
    pinned_by_viewer: bool = False  # one of the viewer's own posts, pinned to their profile
    thread_muted: bool = False  # the viewer muted its conversation
    group_moderator: bool = False  # a post in a group the viewer moderates
    group_removable: bool = False  # ... by someone below the viewer there: they may remove it
    group_pinned: bool = False  # pinned to the top of its group
    as_team: bool = False  # a page's post, shown to its team (who edit and delete it)


def _member(viewer: Viewer) -> User | None:
    return viewer if isinstance(viewer, User) and viewer.is_authenticated else None


def hydrate(
    viewer: Viewer,
    items: Sequence[ListedPost],
    *,
    pinned_ids: frozenset[int] = frozenset(),
    group_pinned_ids: frozenset[int] = frozenset(),
    acting_ids: frozenset[int] = frozenset(),
    media_known: Callable[[ListedPost], bool] | None = None,
    card_known: Callable[[ListedPost], bool] | None = None,
) -> list[PostView]:
    """Views of `items` for `viewer`. Shares whose original is gone are dropped.

    `media_known` and `card_known` name posts whose attachments, or link card, the caller
    already has (the API's entity cache): those are not read, and stay empty in the views."""
    wanted = {p.reblog_of_id for p in items if p.reblog_of_id} | {
        p.quote_of_id for p in items if p.quote_of_id
    }
    related = posts_by_id(viewer, sorted(wanted))
    views: list[PostView] = []
    for item in items:
        if item.reblog_of_id is not None:
            original = related.get(item.reblog_of_id)
            if original is None:
                continue
            views.append(PostView(item, original, shared_by=item.author))
        else:
            views.append(PostView(item, item))
    # A shared post may itself quote one: those are read too (one more query, only then).
    missing = {
        v.post.quote_of_id
        for v in views
        if v.post.quote_of_id and v.post.quote_of_id not in related
    }
    if missing:
        related.update(posts_by_id(viewer, sorted(missing)))
    for view in views:
        if view.post.quote_of_id is not None:
            view.quoted = related.get(view.post.quote_of_id)
    if not views:
        return views

    shown_posts = [v.post for v in views] + [v.quoted for v in views if v.quoted]
    shown = sorted({p.id for p in shown_posts})
    with_media = [
        p.id for p in shown_posts if p.has_media and (media_known is None or not media_known(p))
    ]
    with_poll = [p.id for p in shown_posts if p.has_poll]
    # A card shows only under a post without media or poll: only those are read (none
    # while link previews are switched off).
    with_card = [
        p.id
        for p in shown_posts
        if p.has_card
        and not p.has_media
        and not p.has_poll
        and (card_known is None or not card_known(p))
    ]
    if with_card and not previews_enabled():
        with_card = []
    media = attachments_for(with_media) if with_media else {}
    polls = polls_for(with_poll, _member(viewer)) if with_poll else {}
    cards = cards_for(with_card) if with_card else {}
    answered = sorted({p.in_reply_to_author_id for p in shown_posts if p.in_reply_to_author_id})
    member = _member(viewer)
    own = sorted({p.id for p in shown_posts if member is not None and p.author_id == member.pk})
    threads = sorted({p.thread_root_id for p in shown_posts})
    liked, shared, bookmarked, unseen, own_pins, muted = _viewer_marks(
        member, shown, answered, own, threads
    )
    for view in views:
        pid = view.post.id
        view.media = media.get(pid, [])
        view.poll = polls.get(pid)
        view.card = cards.get(pid)
        view.liked, view.shared, view.bookmarked = pid in liked, pid in shared, pid in bookmarked
        view.pinned_by_viewer = pid in own_pins
        view.thread_muted = view.post.thread_root_id in muted
        # "Replying to @x" names x only when the viewer may see x (no block either way).
        view.reply_to_username = (
            None if view.post.in_reply_to_author_id in unseen else view.post.reply_to_username
        )
        view.pinned = pid in pinned_ids
        view.group_pinned = pid in group_pinned_ids
        view.as_team = view.post.author_id in acting_ids
    if member is not None and any(v.post.group_id for v in views):
        _group_marks(member, views)
    return views


def _group_marks(member: User, views: list[PostView]) -> None:
    """For group posts: which groups the member moderates, which posts of those are pinned
    there, and whose authors are below the member (one query; three for a moderator; only on
    pages with group posts)."""
    group_ids = sorted({v.post.group_id for v in views if v.post.group_id})
    moderated = dict(
        Membership.objects.filter(
            member_id=member.pk,
            group_id__in=group_ids,
            state=MembershipState.MEMBER,
            role__gte=Role.MODERATOR,
        ).values_list("group_id", "role")
    )
    if not moderated:
        return
    mine = [v for v in views if v.post.group_id in moderated]
    pinned = set(
        GroupPin.objects.filter(post_id__in=[v.post.id for v in mine]).values_list(
            "post_id", flat=True
        )
    )
    authors = {v.post.author_id for v in mine}
    roles = {
        (group_id, author_id): role
        for group_id, author_id, role in Membership.objects.filter(
            group_id__in=list(moderated), member_id__in=authors, state=MembershipState.MEMBER
        ).values_list("group_id", "member_id", "role")
    }
    for view in mine:
        group_id = view.post.group_id or 0
        view.group_moderator = True
        view.group_removable = roles.get((group_id, view.post.author_id), -1) < moderated[group_id]
        view.group_pinned = view.post.id in pinned


_MARKS_SQL = (
    ("SELECT 1, post_id FROM posts_like WHERE user_id = %s AND ", "post_id"),
    ("SELECT 2, reblog_of_id FROM posts_post WHERE author_id = %s AND ", "reblog_of_id"),
    ("SELECT 3, post_id FROM posts_bookmark WHERE user_id = %s AND ", "post_id"),
)
_BLOCKS_SQL = (
    ("SELECT 4, blocker_id FROM graph_block WHERE blocked_id = %s AND ", "blocker_id"),
    ("SELECT 4, blocked_id FROM graph_block WHERE blocker_id = %s AND ", "blocked_id"),
)
_PINS_SQL = ("SELECT 5, post_id FROM posts_pin WHERE user_id = %s AND ", "post_id")
_THREADS_SQL = (
    "SELECT 6, conversation_id FROM notifications_threadmute WHERE user_id = %s AND ",
    "conversation_id",
)

Marks = tuple[set[int], set[int], set[int], set[int], set[int], set[int]]


def _viewer_marks(
    member: User | None,
    post_ids: list[int],
    answered: list[int],
    own: list[int],
    threads: list[int],
) -> Marks:
    """Which of `post_ids` the member liked, shared and bookmarked, which of the members
    `answered` (authors of posts replied to) are blocked either way, which of their `own`
    posts they pinned, and which of the conversations `threads` they muted: one query."""
    found: Marks = (set(), set(), set(), set(), set(), set())
    if member is None or not post_ids:
        return found
    parts: list[str] = []
    params: list[Any] = []
    wanted = [(sql, column, post_ids) for sql, column in _MARKS_SQL]
    if answered:
        wanted += [(sql, column, answered) for sql, column in _BLOCKS_SQL]
    if own:
        wanted.append((*_PINS_SQL, own))
    wanted.append((*_THREADS_SQL, threads))
    for sql, column, ids in wanted:
        condition, ids_params = id_in(column, ids)
        parts.append(sql + condition)
        params += [member.pk, *ids_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, row_id in cursor.fetchall():
            found[kind - 1].add(row_id)
    return found


def pinned_posts(viewer: Viewer, author: User) -> list[ListedPost]:
    """The posts `author` pinned that `viewer` may see, most recently pinned first."""
    order = list(Pin.objects.filter(user=author).order_by("-id").values_list("post_id", flat=True))
    found = posts_by_id(viewer, order)
    return [found[pid] for pid in order if pid in found]
