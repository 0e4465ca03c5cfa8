"""The single visibility decision: who may see which post. Every surface reads through here.

`visible_to(viewer)` narrows a Post queryset; `can_see(viewer, post)` answers for one post.
Both encode the same rules, and the visibility test matrix checks that they agree:

- public and unlisted posts: anyone, including visitors who are not signed in;
- followers-only posts: the author, accepted followers, and members the post mentions;
- mentioned-people-only posts: the author and the members the post mentions;
- nothing from a deactivated (suspended) author.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from townsquare.accounts.models import User
from townsquare.graph.models import Follow
from townsquare.posts.models import Mention, Post, PostHashtag, Visibility

Viewer = User | AnonymousUser | None
OPEN = (Visibility.PUBLIC, Visibility.UNLISTED)
LIST_FIELDS = (
    "id",
    "text",
    "html",
    "visibility",
    "created_at",
    "author__id",
    "author__username",
    "author__display_name",
    "author__avatar",
    "author__locked",
)


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


def for_listing(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Only the columns a post card needs, author joined (no N+1)."""
    return posts.select_related("author").only(*LIST_FIELDS)


def page(posts: QuerySet[Post], *, max_id: int | None, limit: int) -> list[Post]:
    if max_id is not None:
        posts = posts.filter(id__lt=max_id)
    return list(for_listing(posts).order_by("-id")[:limit])


def profile_posts(
    viewer: Viewer, author: User, *, max_id: int | None = None, limit: int = 20
) -> list[Post]:
    return page(visible_to(viewer, Post.objects.filter(author=author)), max_id=max_id, limit=limit)


def public_timeline(viewer: Viewer, *, max_id: int | None = None, limit: int = 20) -> list[Post]:
    """The site's public timeline: public posts only (unlisted ones stay off it)."""
    posts = visible_to(viewer, Post.objects.filter(visibility=Visibility.PUBLIC))
    return page(posts, max_id=max_id, limit=limit)


def tag_timeline(
    viewer: Viewer, name: str, *, max_id: int | None = None, limit: int = 20
) -> list[Post]:
    """Public posts with a hashtag (listing rules as the public timeline)."""
    tagged = PostHashtag.objects.filter(hashtag__name=name.lower()).values("post_id")
    posts = visible_to(viewer, Post.objects.filter(visibility=Visibility.PUBLIC, id__in=tagged))
    return page(posts, max_id=max_id, limit=limit)


def get_visible(viewer: Viewer, post_id: int) -> Post | None:
    """One post by id, or None when it does not exist or the viewer may not see it."""
    post = Post.objects.select_related("author").filter(pk=post_id).first()
    if post is None or not can_see(viewer, post):
        return None
    return post


def post_count(viewer: Viewer, author: User) -> int:
    return visible_to(viewer, Post.objects.filter(author=author)).count()
