"""Search: people, hashtags and posts. Read-only; visibility comes from posts.queries.

Post ranking. The database gives candidates newest first: up to ALL_WORDS_CANDIDATES posts
containing every word and, for several words, up to SOME_WORDS_CANDIDATES containing any of
them. Each candidate the viewer may see is then scored

    score = coverage ** 2 / (1 + age_in_days / HALF_LIFE_DAYS)

where coverage is the share of the query's words the post contains (1 for the all-words
candidates). So a post with every word outranks one with some of them unless it is much
older (with two words, a one-word match from today beats an all-words match only once that is
three half-lives old), and among equal matches newer comes first. Taking the newest matches
first keeps the cost bounded however common a word is (the database never ranks a million
rows) and suits a social network, where what is said now matters most; the price is that
very old posts with a very common word are not reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Length
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.accounts.queries import listed_people, not_suspended
from townsquare.core.sql import id_in
from townsquare.graph.models import Block
from townsquare.posts.models import Hashtag, PostHashtag, Visibility
from townsquare.posts.queries import ListedPost, Viewer, list_posts
from townsquare.search import backends
from townsquare.search.terms import Query, clean, fold, folded_words, parse, words_of
from townsquare.site import features

ALL_WORDS_CANDIDATES = 200
SOME_WORDS_CANDIDATES = 100
HALF_LIFE_DAYS = 7.0
MAX_PAGE = 50  # 20 results a page: past the candidates, pages are empty


def _member(viewer: Viewer) -> User | None:
    return viewer if isinstance(viewer, User) and viewer.is_authenticated else None


def search_people(viewer: Viewer, q: str, limit: int = 20) -> list[User]:
    """Active, discoverable members whose username or display name contains `q` (a leading @
    is ignored): names starting with it first, then shorter usernames. Members who blocked
    the viewer, or whom the viewer blocked, are left out; muted ones are not (to unmute);
    suspended ones are, but for staff who moderate (accounts.queries.listed_people)."""
    text = clean(q).lstrip("@").strip()
    if len(text) < 2:
        return []
    matches = Q(username__icontains=text) | Q(display_name__icontains=text)
    prefix = Q(username__istartswith=text) | Q(display_name__istartswith=text)
    people = User.objects.filter(matches, listed_people(viewer), is_active=True, discoverable=True)
    if not features.enabled("pages"):
        people = people.exclude(is_page=True)
    member = _member(viewer)
    if member is not None:
        blocks = Block.objects.filter(
            Q(blocker_id=member.pk, blocked_id=OuterRef("pk"))
            | Q(blocker_id=OuterRef("pk"), blocked_id=member.pk)
        )
        people = people.exclude(Exists(blocks))
    ranked = people.annotate(
        exact=Case(When(username__iexact=text, then=Value(0)), default=Value(1)),
        starts=Case(When(prefix, then=Value(0)), default=Value(1), output_field=IntegerField()),
        length=Length("username"),
    )
    return list(ranked.order_by("exact", "starts", "length", "username")[: max(0, limit)])


def search_hashtags(q: str, limit: int = 20) -> list[Hashtag]:
    """Hashtags whose name contains `q` (a leading # is ignored): the exact name first, then
    names starting with it, shortest first. Only hashtags of some public post (outside groups)
    by an active member who appears in search and shows posts to visitors, not removed, and
    whose author is neither suspended nor limited, are found (a tag used only in private or
    hidden posts stays private)."""
    text = "".join(words_of(clean(q).lstrip("#")))
    if len(text) < 2:
        return []
    used_in_public = PostHashtag.objects.filter(
        hashtag_id=OuterRef("pk"),
        post__visibility=Visibility.PUBLIC,
        post__group__isnull=True,
        post__author__is_active=True,
        post__author__discoverable=True,
        post__author__show_posts_to_visitors=True,
        post__removed_at__isnull=True,
    ).filter(  # nor of posts hidden from search: a suspended or limited author's
        not_suspended("post__author__"),
        Q(post__author__limited_until__isnull=True)
        | Q(post__author__limited_until__lte=timezone.now()),
    )
    ranked = Hashtag.objects.filter(Exists(used_in_public), name__contains=text).annotate(
        exact=Case(When(name=text, then=Value(0)), default=Value(1)),
        starts=Case(When(name__startswith=text, then=Value(0)), default=Value(1)),
        length=Length("name"),
    )
    return list(ranked.order_by("exact", "starts", "length", "name")[: max(0, limit)])


@dataclass(frozen=True)
class PostPage:
    posts: list[ListedPost]
    has_next: bool


def post_search_enabled() -> bool:
    """Whether posts' text is searched (the operator's "post_search" switch; off, search
    finds people and hashtags only). The index is kept either way."""
    return features.enabled("post_search")


def search_posts(viewer: Viewer, q: str, *, page: int = 1, limit: int = 20) -> list[ListedPost]:
    """Posts containing the words of `q` that `viewer` may see, best first (see above)."""
    return search_posts_page(viewer, q, page=page, limit=limit).posts


def search_posts_page(
    viewer: Viewer, q: str | Query, *, page: int = 1, limit: int = 20
) -> PostPage:
    """`search_posts`, and whether a next page has more."""
    query = q if isinstance(q, Query) else parse(q)
    if not query.searchable or not query.words or limit < 1 or not 1 <= page <= MAX_PAGE:
        return PostPage([], False)
    if not post_search_enabled():
        return PostPage([], False)
    ranked = _ranked(viewer, query.words)
    start = (page - 1) * limit
    return PostPage(ranked[start : start + limit], len(ranked) > start + limit)


def _ranked(viewer: Viewer, words: tuple[str, ...]) -> list[ListedPost]:
    found = backends.candidates(
        words, every_limit=ALL_WORDS_CANDIDATES, some_limit=SOME_WORDS_CANDIDATES
    )
    every = found.every
    seen = set(every)
    some = [post_id for post_id in found.some if post_id not in seen]
    ids = every + some
    if not ids:
        return []
    posts = _visible(viewer, ids)
    complete = seen
    folded = [fold(word) for word in words]
    now = timezone.now()

    def score(post: ListedPost) -> tuple[float, int]:
        if post.id in complete:
            coverage = 1.0
        else:
            present = folded_words(post.text)
            found = sum(1 for word in folded if word in present)
            coverage = max(1, found) / len(folded)
        return coverage**2 * _freshness(post.created_at, now), post.id

    return sorted(posts, key=score, reverse=True)


def _freshness(created_at: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - created_at).total_seconds() / 86400)
    return 1 / (1 + age_days / HALF_LIFE_DAYS)


def _visible(viewer: Viewer, ids: list[int]) -> list[ListedPost]:
    """The candidates `viewer` may see (posts.queries decides), without shares, and without
    posts of members who opted out of search, except the viewer's own."""
    member = _member(viewer)
    in_ids, id_params = id_in("p.id", ids)
    where = (
        f"{in_ids} AND p.reblog_of_id IS NULL AND (p.author_id = %s OR NOT EXISTS"  # noqa: S608
        " (SELECT 1 FROM accounts_user x WHERE x.id = p.author_id AND NOT x.discoverable))"
    )
    params = [*id_params, member.pk if member is not None else 0]
    return list_posts(viewer, where=where, params=params, limit=len(ids))
