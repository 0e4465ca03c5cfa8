"""The single visibility decision: who may see which post. Every surface reads through here.

`visible_to(viewer)` narrows a Post queryset; `can_see(viewer, post)` answers for one post;
`visibility_sql(viewer)` is the same rule as an SQL condition for the hot listing paths (home
feed, profile, public timeline), where building the ORM query cost 20x running it (measured:
2.3 ms against 0.11 ms). The visibility test matrix checks that all three agree:

- public and unlisted posts: anyone, including visitors who are not signed in;
- followers-only posts: the author, accepted followers, and members the post mentions;
- mentioned-people-only posts: the author and the members the post mentions;
- nothing from a deactivated (suspended) author.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from townsquare.accounts.models import User
from townsquare.graph.models import Follow
from townsquare.posts.models import Mention, Post, Visibility

Viewer = User | AnonymousUser | None
OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)


def _member(viewer: Viewer) -> User | None:
    return viewer if isinstance(viewer, User) and viewer.is_authenticated else None


def visibility_filter(viewer: Viewer) -> Q:
    member = _member(viewer)
    rule = Q(visibility__in=OPEN)
    if member is not None:
        followed = Follow.objects.filter(follower_id=member.pk).values("followee_id")
        mentioned = Mention.objects.filter(post_id=OuterRef("pk"), user_id=member.pk)
        rule |= (
            Q(author_id=member.pk)
            | Q(visibility=Visibility.FOLLOWERS, author_id__in=followed)
            | Q(Exists(mentioned), visibility__in=(Visibility.FOLLOWERS, Visibility.MENTIONED))
        )
    return rule & Q(author__is_active=True)


def visible_to(viewer: Viewer, posts: QuerySet[Post] | None = None) -> QuerySet[Post]:
    """The posts (of `posts`, or all) that `viewer` may see."""
    base = Post.objects.all() if posts is None else posts
    return base.filter(visibility_filter(viewer))


def can_see(viewer: Viewer, post: Post) -> bool:
    """Whether `viewer` may see `post`: the same rules as `visible_to`, for one post."""
    if not post.author.is_active:
        return False
    if post.visibility in OPEN:
        return True
    member = _member(viewer)
    if member is None:
        return False
    if member.pk == post.author_id:
        return True
    if Mention.objects.filter(post_id=post.pk, user_id=member.pk).exists():
        return True
    return (
        post.visibility == Visibility.FOLLOWERS
        and Follow.objects.filter(follower_id=member.pk, followee_id=post.author_id).exists()
    )


def visibility_sql(viewer: Viewer) -> tuple[str, list[int]]:
    """The visibility rule as an SQL condition on `p` (posts_post) and `u` (its author)."""
    member = _member(viewer)
    open_levels = f"p.visibility IN ({int(Visibility.PUBLIC)}, {int(Visibility.UNLISTED)})"
    if member is None:
        return f"(u.is_active AND {open_levels})", []
    condition = (
        f"(u.is_active AND ({open_levels} OR p.author_id = %s"  # noqa: S608 - constants only
        f" OR (p.visibility = {int(Visibility.FOLLOWERS)} AND p.author_id IN"
        " (SELECT f.followee_id FROM graph_follow f WHERE f.follower_id = %s))"
        f" OR (p.visibility IN ({int(Visibility.FOLLOWERS)}, {int(Visibility.MENTIONED)}) AND"
        " EXISTS (SELECT 1 FROM posts_mention m WHERE m.post_id = p.id AND m.user_id = %s))))"
    )
    return condition, [member.pk, member.pk, member.pk]


_LISTING_COLUMNS = (
    "p.id, p.author_id, p.text, p.html, p.visibility, p.created_at,"
    " u.username, u.display_name, u.avatar, u.locked"
)


def list_posts(
    viewer: Viewer,
    *,
    source: str = "posts_post p",
    where: str = "1 = 1",
    params: Sequence[int | str] = (),
    order_column: str = "p.id",
    max_id: int | None = None,
    limit: int = 20,
    entry_column: str = "0",
) -> list[ListedPost]:
    """A page of posts `viewer` may see, newest first, in one query.

    `source` may join other tables to `p` (the home feed joins its entries); `order_column`
    is the id the page is ordered and cut by; `entry_column` fills `ListedPost.entry_id`.
    """
    visible, visible_params = visibility_sql(viewer)
    sql = (
        f"SELECT {_LISTING_COLUMNS}, {entry_column} FROM {source}"  # noqa: S608 - constant SQL
        " JOIN accounts_user u ON u.id = p.author_id"
        f" WHERE ({where}) AND {visible}"
        + (f" AND {order_column} < %s" if max_id is not None else "")
        + f" ORDER BY {order_column} DESC LIMIT %s"
    )
    args = [*params, *visible_params, *([max_id] if max_id is not None else []), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    return [_post_from_row(row) for row in rows]


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
    entry_id: int = 0  # on a home feed: the entry's id, which counts arrivals in the feed

    @property
    def pk(self) -> int:
        return self.id


def _post_from_row(row: Sequence[Any]) -> ListedPost:
    post_id, author_id, text, html, visibility, created_at, username, name, avatar, locked = row[
        :10
    ]
    if isinstance(created_at, str):  # SQLite through a raw cursor
        created_at = datetime.fromisoformat(created_at)
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    author = ListedAuthor(author_id, username, name, avatar, bool(locked))
    return ListedPost(post_id, author_id, text, html, visibility, created_at, author, row[10])


def profile_posts(
    viewer: Viewer, author: User, *, max_id: int | None = None, limit: int = 20
) -> list[ListedPost]:
    return list_posts(
        viewer, where="p.author_id = %s", params=[author.pk], max_id=max_id, limit=limit
    )


def public_timeline(
    viewer: Viewer, *, max_id: int | None = None, limit: int = 20
) -> list[ListedPost]:
    """The site's public timeline: public posts only (unlisted ones stay off it)."""
    where = f"p.visibility = {int(Visibility.PUBLIC)}"
    return list_posts(viewer, where=where, max_id=max_id, limit=limit)


def tag_timeline(
    viewer: Viewer, name: str, *, max_id: int | None = None, limit: int = 20
) -> list[ListedPost]:
    """Public posts with a hashtag (listing rules as the public timeline)."""
    where = (
        "p.visibility = %s AND p.id IN (SELECT ph.post_id FROM posts_posthashtag ph"
        " JOIN posts_hashtag h ON h.id = ph.hashtag_id WHERE h.name = %s)"
    )
    params: list[int | str] = [int(Visibility.PUBLIC), name.lower()]
    return list_posts(viewer, where=where, params=params, max_id=max_id, limit=limit)


def get_visible(viewer: Viewer, post_id: int) -> Post | None:
    """One post by id, or None when it does not exist or the viewer may not see it."""
    post = Post.objects.select_related("author").filter(pk=post_id).first()
    if post is None or not can_see(viewer, post):
        return None
    return post
