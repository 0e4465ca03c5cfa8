"""The single visibility decision: who may see which post. Every surface reads through here.

`visible_to(viewer)` narrows a Post queryset; `can_see(viewer, post)` answers for one post;
`visibility_sql(viewer)` is the same rule as an SQL condition for the hot listing paths (home
feed, profile, public timeline), where building the ORM query cost 20x running it (measured:
2.3 ms against 0.11 ms). The visibility test matrix checks that all three agree:

- public and unlisted posts: anyone, including visitors who are not signed in;
- followers-only posts: the author, accepted followers, and members the post mentions;
- mentioned-people-only posts: the author and the members the post mentions;
- nothing from a deactivated (suspended) author;
- nothing between two members when either blocked the other (both ways, as Mastodon does);
- a share is seen only when its original is seen too.

Mutes are not visibility: a muted member's posts stay reachable by link and on their profile,
but listings (home, public and tag timelines, threads, search) leave them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.communities.models import Group, GroupPrivacy, Membership, MembershipState
from townsquare.core.pagination import cursor_values
from townsquare.core.sql import id_in
from townsquare.graph.models import Block, Follow
from townsquare.graph.queries import is_blocked_between
from townsquare.links.models.card import CardStatus
from townsquare.posts.models import HashtagFollow, Mention, Post, Visibility

Viewer = User | AnonymousUser | None
OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)


def _member(viewer: Viewer) -> User | None:
    return viewer if isinstance(viewer, User) and viewer.is_authenticated else None


def _blocked_authors(member: User, author_field: str) -> Q:
    """Posts whose author (at `author_field`) blocked `member` or was blocked by them."""
    return Q(
        Exists(Block.objects.filter(blocker_id=OuterRef(author_field), blocked_id=member.pk))
    ) | Q(Exists(Block.objects.filter(blocker_id=member.pk, blocked_id=OuterRef(author_field))))


def _in_open_group(member: User | None, group_field: str) -> Q:
    """Posts outside groups, in public groups, or in a group the member belongs to."""
    rule = Q(**{f"{group_field}__isnull": True}) | Q(
        **{f"{group_field}__privacy": GroupPrivacy.PUBLIC}
    )
    if member is not None:
        mine = Membership.objects.filter(member_id=member.pk, state=MembershipState.MEMBER)
        rule |= Q(**{f"{group_field}__in": mine.values("group_id")})
    return rule


def visibility_filter(viewer: Viewer) -> Q:
    member = _member(viewer)
    rule = Q(visibility__in=OPEN)
    original_seen = Q(reblog_of__author__is_active=True, reblog_of__visibility__in=OPEN)
    if member is not None:
        followed = Follow.objects.filter(follower_id=member.pk).values("followee_id")
        mentioned = Mention.objects.filter(post_id=OuterRef("pk"), user_id=member.pk)
        rule |= (
            Q(author_id=member.pk)
            | Q(visibility=Visibility.FOLLOWERS, author_id__in=followed)
            | Q(Exists(mentioned), visibility__in=(Visibility.FOLLOWERS, Visibility.MENTIONED))
        )
        rule &= ~_blocked_authors(member, "author_id")
        original_seen &= ~_blocked_authors(member, "reblog_of__author_id")
    else:  # visitors without an account: not the posts of members who keep them from visitors
        rule &= Q(author__show_posts_to_visitors=True)
        original_seen &= Q(reblog_of__author__show_posts_to_visitors=True)
    rule &= _in_open_group(member, "group")
    original_seen &= _in_open_group(member, "reblog_of__group")
    return rule & Q(author__is_active=True) & (Q(reblog_of__isnull=True) | original_seen)


def visible_to(viewer: Viewer, posts: QuerySet[Post] | None = None) -> QuerySet[Post]:
    """The posts (of `posts`, or all) that `viewer` may see."""
    base = Post.objects.all() if posts is None else posts
    return base.filter(visibility_filter(viewer))


def can_see(viewer: Viewer, post: Post) -> bool:
    """Whether `viewer` may see `post`: the same rules as `visible_to`, for one post."""
    if not post.author.is_active:
        return False
    member = _member(viewer)
    if post.group_id is not None and not _group_open_to(member, post.group_id):
        return False
    if post.reblog_of_id is not None:
        original = post.reblog_of
        if original is None or original.visibility not in OPEN or not can_see(viewer, original):
            return False
    if (
        member is not None
        and member.pk != post.author_id
        and is_blocked_between(member.pk, post.author_id)
    ):
        return False
    if member is None:
        return post.visibility in OPEN and post.author.show_posts_to_visitors
    if post.visibility in OPEN:
        return True
    if member.pk == post.author_id:
        return True
    if Mention.objects.filter(post_id=post.pk, user_id=member.pk).exists():
        return True
    return (
        post.visibility == Visibility.FOLLOWERS
        and Follow.objects.filter(follower_id=member.pk, followee_id=post.author_id).exists()
    )


def _group_open_to(member: User | None, group_id: int) -> bool:
    if Group.objects.filter(pk=group_id, privacy=GroupPrivacy.PUBLIC).exists():
        return True
    return member is not None and (
        Membership.objects.filter(
            group_id=group_id, member_id=member.pk, state=MembershipState.MEMBER
        ).exists()
    )


_OPEN_LEVELS = f"({int(Visibility.PUBLIC)}, {int(Visibility.UNLISTED)})"


def _group_sql(post_alias: str, *, member: bool) -> str:
    """The post (at `post_alias`) is outside groups, in a public group, or (for a member,
    one %s) in a group the viewer belongs to."""
    rule = (
        f" AND ({post_alias}.group_id IS NULL OR EXISTS (SELECT 1 FROM communities_group g"  # noqa: S608
        f" WHERE g.id = {post_alias}.group_id AND g.privacy = {int(GroupPrivacy.PUBLIC)})"
    )
    if member:
        rule += (
            " OR EXISTS (SELECT 1 FROM communities_membership gm"  # noqa: S608
            f" WHERE gm.group_id = {post_alias}.group_id AND gm.member_id = %s"
            f" AND gm.state = {int(MembershipState.MEMBER)})"
        )
    return rule + ")"


# Each per-row check of a block or a mute is guarded by the same check without the row: "the
# viewer blocked nobody, or not this author". The guard does not depend on the row, so both
# databases evaluate it once per statement; for the many viewers who never blocked or muted
# anyone, the per-row probe is then skipped (measured on the API home timeline's statement
# on SQLite: 250-290 us -> 195-220 us). The answer is the same either way.


def _blocks_sql(author_column: str) -> str:
    """No block between the viewer (four %s) and the author in `author_column`."""
    return (
        " AND (NOT EXISTS (SELECT 1 FROM graph_block WHERE blocked_id = %s)"  # noqa: S608
        f" OR NOT EXISTS (SELECT 1 FROM graph_block b WHERE b.blocker_id = {author_column}"
        " AND b.blocked_id = %s))"
        " AND (NOT EXISTS (SELECT 1 FROM graph_block WHERE blocker_id = %s)"
        " OR NOT EXISTS (SELECT 1 FROM graph_block b WHERE b.blocker_id = %s"
        f" AND b.blocked_id = {author_column}))"
    )


def visibility_sql(viewer: Viewer) -> tuple[str, list[int]]:
    """The visibility rule as an SQL condition on `p` (posts_post) and `u` (its author)."""
    member = _member(viewer)
    # A share (no level of its own beyond the sharer's) needs its original seen, too.
    original = (
        " AND (p.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM posts_post o"  # noqa: S608
        " JOIN accounts_user ou ON ou.id = o.author_id WHERE o.id = p.reblog_of_id"
        f" AND ou.is_active AND o.visibility IN {_OPEN_LEVELS}"
    )
    if member is None:  # a visitor: not the posts of members who keep them from visitors
        return (
            f"(u.is_active AND u.show_posts_to_visitors AND p.visibility IN {_OPEN_LEVELS}"
            f"{_group_sql('p', member=False)}"
            f"{original} AND ou.show_posts_to_visitors{_group_sql('o', member=False)})))",
            [],
        )
    condition = (
        f"(u.is_active AND (p.visibility IN {_OPEN_LEVELS} OR p.author_id = %s"  # noqa: S608
        f" OR (p.visibility = {int(Visibility.FOLLOWERS)} AND p.author_id IN"
        " (SELECT f.followee_id FROM graph_follow f WHERE f.follower_id = %s))"
        f" OR (p.visibility IN ({int(Visibility.FOLLOWERS)}, {int(Visibility.MENTIONED)}) AND"
        " EXISTS (SELECT 1 FROM posts_mention m WHERE m.post_id = p.id AND m.user_id = %s)))"
        + _blocks_sql("p.author_id")
        + _group_sql("p", member=True)
        + original
        + _blocks_sql("o.author_id")
        + _group_sql("o", member=True)
        + ")))"
    )
    me = member.pk
    return condition, [me] * 13


def muted_sql(viewer: Viewer) -> tuple[str, list[Any]]:
    """Listings leave out posts (and shares of posts) by members the viewer muted."""
    member = _member(viewer)
    if member is None:
        return "1 = 1", []
    condition = (
        "(NOT EXISTS (SELECT 1 FROM graph_mute WHERE muter_id = %s)"  # the guard (see above)
        " OR NOT EXISTS (SELECT 1 FROM graph_mute mu WHERE mu.muter_id = %s"
        " AND (mu.muted_id = p.author_id OR mu.muted_id = (SELECT o2.author_id FROM posts_post"
        " o2 WHERE o2.id = p.reblog_of_id))"
        " AND (mu.expires_at IS NULL OR mu.expires_at > %s)))"
    )
    return condition, [member.pk, member.pk, timezone.now()]


_LISTING_COLUMNS = (
    "p.id, p.author_id, p.text, p.html, p.visibility, p.created_at,"  # noqa: S608 - constant
    " u.username, u.display_name, u.avatar, u.locked,"
    " p.in_reply_to_id, p.in_reply_to_author_id, p.conversation_id, p.reblog_of_id,"
    " p.quote_of_id, p.spoiler_text, p.sensitive, p.edited_at, p.replies_count,"
    " p.likes_count, p.shares_count,"
    # What else the post carries, so a page loads media, polls and link cards only when some
    # post on it has them (an index probe each; most pages have none of the three).
    " EXISTS (SELECT 1 FROM media_mediaattachment ma WHERE ma.post_id = p.id),"
    " EXISTS (SELECT 1 FROM polls_poll pl WHERE pl.post_id = p.id),"
    # The ready card's fetch time: whether there is a card to show, and which version of it
    # (a card fetched again may get a new title and picture; the API's cache checks it).
    " (SELECT COALESCE(c.fetched_at, c.created_at) FROM links_postcard lc"
    " JOIN links_card c ON c.id = lc.card_id"
    f" WHERE lc.post_id = p.id AND c.status = {int(CardStatus.READY)}),"
    " (SELECT ru.username FROM accounts_user ru WHERE ru.id = p.in_reply_to_author_id"
    " AND ru.is_active)"
)


def list_posts(
    viewer: Viewer,
    *,
    source: str = "posts_post p",
    where: str = "1 = 1",
    params: Sequence[Any] = (),
    order_column: str = "p.id",
    max_id: int | None = None,
    limit: int = 20,
    entry_column: str = "0",
    hide_muted: bool = True,
    since_id: int | None = None,
    min_id: int | None = None,
) -> list[ListedPost]:
    """A page of posts `viewer` may see, newest first, in one query.

    `source` may join other tables to `p` (the home feed joins its entries); `order_column`
    is the id the page is ordered and cut by; `entry_column` fills `ListedPost.entry_id`.
    With `hide_muted`, posts by members the viewer muted are left out.

    The cursors are Mastodon's, all on `order_column`: `max_id` keeps what is older than it,
    `since_id` what is newer (the newest `limit` of them), and `min_id` the `limit` just newer
    than it (read upwards from `min_id`, to page forward without gaps); the page is always
    returned newest first.
    """
    visible, visible_params = visibility_sql(viewer)
    muted, muted_params = muted_sql(viewer) if hide_muted else ("1 = 1", [])
    cursors = ""
    cursor_params: list[int] = []
    for value, condition in ((max_id, "<"), (since_id, ">"), (min_id, ">")):
        if value is not None:
            cursors += f" AND {order_column} {condition} %s"
            cursor_params.append(value)
    direction = "ASC" if min_id is not None else "DESC"
    sql = (
        f"SELECT {_LISTING_COLUMNS}, {entry_column} FROM {source}"  # noqa: S608 - constant SQL
        " JOIN accounts_user u ON u.id = p.author_id"
        f" WHERE ({where}) AND {visible} AND {muted}{cursors}"
        f" ORDER BY {order_column} {direction} LIMIT %s"
    )
    args = [*params, *visible_params, *muted_params, *cursor_params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    posts = [_post_from_row(row) for row in rows]
    if min_id is not None:
        posts.reverse()
    return posts


@dataclass(slots=True)
class ListedAuthor:
    """The author columns a post card shows."""

    id: int
    username: str
    display_name: str
    avatar: str
    locked: bool

    @property
    def pk(self) -> int:
        return self.id

    @property
    def name(self) -> str:
        return self.display_name or self.username


@dataclass(slots=True)
class ListedPost:
    """A post as listed on a timeline: plain data, read in one query (model instances cost
    0.5 ms per page of 20 here, against 0.02 ms for these)."""

    id: int
    author_id: int
    text: str
    html: str
    visibility: int
    created_at: datetime
    author: ListedAuthor
    in_reply_to_id: int | None = None
    in_reply_to_author_id: int | None = None
    conversation_id: int | None = None
    reblog_of_id: int | None = None
    quote_of_id: int | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    edited_at: datetime | None = None
    replies_count: int = 0
    likes_count: int = 0
    shares_count: int = 0
    has_media: bool = False
    has_poll: bool = False
    has_card: bool = False  # a ready link card
    card_version: Any = None  # when that card was fetched (compared only, never shown)
    reply_to_username: str | None = None
    entry_id: int = 0  # on a home feed: the entry's id, which counts arrivals in the feed

    @property
    def pk(self) -> int:
        return self.id

    @property
    def thread_root_id(self) -> int:
        return self.conversation_id or self.id


def _when(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite through a raw cursor
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _post_from_row(row: Sequence[Any]) -> ListedPost:
    post_id, author_id, text, html, visibility, created_at, username, name, avatar, locked = row[
        :10
    ]
    author = ListedAuthor(author_id, username, name, avatar, bool(locked))
    (reply_to, reply_to_author, conversation, reblog_of, quote_of, spoiler, sensitive) = row[10:17]
    edited_at, replies, likes, shares, has_media, has_poll, has_card, answered = row[17:25]
    return ListedPost(
        post_id,
        author_id,
        text,
        html,
        visibility,
        _when(created_at),
        author,
        in_reply_to_id=reply_to,
        in_reply_to_author_id=reply_to_author,
        conversation_id=conversation,
        reblog_of_id=reblog_of,
        quote_of_id=quote_of,
        spoiler_text=spoiler,
        sensitive=bool(sensitive),
        edited_at=_when(edited_at) if edited_at is not None else None,
        replies_count=replies,
        likes_count=likes,
        shares_count=shares,
        has_media=bool(has_media),
        has_poll=bool(has_poll),
        has_card=has_card is not None,
        card_version=has_card,
        reply_to_username=answered,
        entry_id=row[25],
    )


def profile_posts(
    viewer: Viewer,
    author: User,
    *,
    max_id: int | None = None,
    limit: int = 20,
    with_replies: bool = False,
    since_id: int | None = None,
    min_id: int | None = None,
) -> list[ListedPost]:
    """A member's posts and shares, newest first; replies to others only `with_replies`
    (answers to themselves, the rest of their threads, always show)."""
    where = "p.author_id = %s AND p.group_id IS NULL"  # group posts live in their group
    params: list[int] = [author.pk]
    if not with_replies:
        where += " AND (p.in_reply_to_author_id IS NULL OR p.in_reply_to_author_id = %s)"
        params.append(author.pk)
    return list_posts(
        viewer,
        where=where,
        params=params,
        max_id=max_id,
        since_id=since_id,
        min_id=min_id,
        limit=limit,
        hide_muted=False,
    )


_WITH_MEDIA = "EXISTS (SELECT 1 FROM media_mediaattachment wm WHERE wm.post_id = p.id)"
# A post whose hashtags include one of the names in {names} (placeholders).
_TAGGED = (
    "EXISTS (SELECT 1 FROM posts_posthashtag ph JOIN posts_hashtag h ON h.id = ph.hashtag_id"
    " WHERE ph.post_id = p.id AND h.name IN ({names}))"
)


def group_posts(
    viewer: Viewer, group_id: int, *, max_id: int | None = None, limit: int = 20
) -> list[ListedPost]:
    """A group's page: its posts that start a conversation, newest first (replies are read
    in their threads), as `viewer` may see them."""
    return list_posts(
        viewer,
        where="p.group_id = %s AND p.in_reply_to_id IS NULL",
        params=[group_id],
        max_id=max_id,
        limit=limit,
    )


def _tagged(names: Sequence[str]) -> str:
    return _TAGGED.format(names=", ".join(["%s"] * len(names)))


def public_timeline(
    viewer: Viewer,
    *,
    max_id: int | None = None,
    limit: int = 20,
    since_id: int | None = None,
    min_id: int | None = None,
    only_media: bool = False,
    with_shares: bool = True,
    with_replies: bool = True,
) -> list[ListedPost]:
    """The site's public timeline: public posts only (unlisted ones stay off it). The API
    leaves out shares and replies to others (`with_shares`, `with_replies`), as Mastodon's
    public timeline does; the web shows them."""
    where = f"p.visibility = {int(Visibility.PUBLIC)} AND p.group_id IS NULL"
    if only_media:
        where += f" AND {_WITH_MEDIA}"
    if not with_shares:
        where += " AND p.reblog_of_id IS NULL"
    if not with_replies:
        where += " AND (p.in_reply_to_author_id IS NULL OR p.in_reply_to_author_id = p.author_id)"
    return list_posts(
        viewer, where=where, max_id=max_id, since_id=since_id, min_id=min_id, limit=limit
    )


def tag_timeline(
    viewer: Viewer,
    name: str,
    *,
    max_id: int | None = None,
    limit: int = 20,
    since_id: int | None = None,
    min_id: int | None = None,
    any_of: Sequence[str] = (),
    all_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
    only_media: bool = False,
) -> list[ListedPost]:
    """Public posts with a hashtag (listing rules as the public timeline). As Mastodon's tag
    timeline: `any_of` adds hashtags a post may carry instead, every one of `all_of` must be
    there too, and none of `none_of`."""
    wanted = [name.lower(), *(tag.lower() for tag in any_of)]
    where = (
        "p.visibility = %s AND p.group_id IS NULL"  # noqa: S608
        " AND p.id IN (SELECT ph.post_id FROM posts_posthashtag ph"
        " JOIN posts_hashtag h ON h.id = ph.hashtag_id"
        f" WHERE h.name IN ({', '.join(['%s'] * len(wanted))}))"
    )
    params: list[int | str] = [int(Visibility.PUBLIC), *wanted]
    for tag in all_of:
        where += f" AND {_tagged([tag])}"
        params.append(tag.lower())
    if none_of:
        where += f" AND NOT {_tagged(none_of)}"
        params += [tag.lower() for tag in none_of]
    if only_media:
        where += f" AND {_WITH_MEDIA}"
    return list_posts(
        viewer,
        where=where,
        params=params,
        max_id=max_id,
        since_id=since_id,
        min_id=min_id,
        limit=limit,
    )


def posts_by_id(viewer: Viewer, post_ids: Sequence[int]) -> dict[int, ListedPost]:
    """The posts among `post_ids` that `viewer` may see (mutes aside), by id, in one query."""
    if not post_ids:
        return {}
    where, params = id_in("p.id", post_ids)
    found = list_posts(viewer, where=where, params=params, limit=len(post_ids), hide_muted=False)
    return {post.id: post for post in found}


def get_visible(viewer: Viewer, post_id: int) -> Post | None:
    """One post by id, or None when it does not exist or the viewer may not see it."""
    post = Post.objects.select_related("author", "reblog_of__author").filter(pk=post_id).first()
    if post is None or not can_see(viewer, post):
        return None
    return post


def _saved_posts(
    viewer: User,
    table: str,
    *,
    max_id: int | None,
    since_id: int | None,
    min_id: int | None,
    limit: int,
) -> list[ListedPost]:
    return list_posts(
        viewer,
        source=f"{table} s JOIN posts_post p ON p.id = s.post_id",
        where="s.user_id = %s",
        params=[viewer.pk],
        order_column="s.id",
        entry_column="s.id",
        max_id=max_id,
        since_id=since_id,
        min_id=min_id,
        limit=limit,
        hide_muted=False,
    )


def bookmarked_posts(
    viewer: User,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
) -> list[ListedPost]:
    """The posts `viewer` bookmarked and may still see, latest bookmark first; the cursors
    (and `ListedPost.entry_id`) are the bookmarks' ids."""
    return _saved_posts(
        viewer, "posts_bookmark", max_id=max_id, since_id=since_id, min_id=min_id, limit=limit
    )


def liked_posts(
    viewer: User,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
) -> list[ListedPost]:
    """The posts `viewer` liked and may still see, latest like first; the cursors (and
    `ListedPost.entry_id`) are the likes' ids."""
    return _saved_posts(
        viewer, "posts_like", max_id=max_id, since_id=since_id, min_id=min_id, limit=limit
    )


def followed_hashtags(
    member: User,
    *,
    max_id: int | None = None,
    since_id: int | None = None,
    min_id: int | None = None,
    limit: int = 100,
) -> list[tuple[int, str]]:
    """(follow id, hashtag name) of the hashtags `member` follows, latest follow first, by
    the same id cursors as the listings above (on the follow's id)."""
    rows = HashtagFollow.objects.filter(user_id=member.pk)
    found = cursor_values(
        rows, ("id", "hashtag__name"), max_id=max_id, since_id=since_id, min_id=min_id, limit=limit
    )
    return [(row_id, name) for row_id, name in found]


def popular_posts(
    viewer: Viewer, *, since_id: int, limit: int = 20, offset: int = 0
) -> list[ListedPost]:
    """Public posts (not shares) newer than `since_id` that `viewer` may see, by members who
    appear in search, most liked and shared first (Mastodon's trending statuses)."""
    where = (
        f"p.visibility = {int(Visibility.PUBLIC)} AND p.reblog_of_id IS NULL AND p.group_id IS NULL"  # noqa: S608
        " AND p.id > %s AND u.discoverable AND p.likes_count + p.shares_count > 0"
    )
    found = list_posts(
        viewer,
        where=where,
        params=[since_id],
        # An ordering, not a cursor column: no max_id with it.
        order_column="p.likes_count + p.shares_count DESC, p.id",
        limit=offset + limit,
    )
    return found[offset:]
