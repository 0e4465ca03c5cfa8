"""The visibility matrix: every visibility level x every relationship of the viewer to the
author x every surface. Zero leaks.

Surfaces are the real web pages, read with the test client: the home feed `/`, the author's
profile `/@username`, the permalink `/@username/<id>` and the public timeline `/public`. For
every cell the query layer (`visible_to` and `can_see`) is checked too, and must agree.

The rules (see `townsquare/posts/visibility.py`):

- public: everyone on profile and permalink, and listed on the public timeline;
- unlisted: everyone on profile and permalink, never on the public timeline;
- followers-only: the author, accepted followers and mentioned members;
- mentioned-only: the author and mentioned members;
- home feed: the author; accepted followers (public, unlisted, followers-only); mentioned
  members, at every level (they may see the post, and nothing else would show it to them
  before notifications exist). A visitor who is not signed in has no home feed: `/`
  is the landing page, which lists the latest public posts and nothing else;
- a follower of a locked account whose request is still pending is a stranger: public and
  unlisted posts only, nothing at home;
- nothing at all from a deactivated author;
- nothing at all for visitors who are not signed in from an author who keeps posts from
  visitors ("ivy"); signed-in members see her posts by the rules above;
- a permalink the viewer may not see is a 404, exactly like one that does not exist (never a
  403, which would confirm that the post exists).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.graph import actions as graph_actions
from townsquare.graph.models import Follow, FollowRequest
from townsquare.posts import queries
from townsquare.posts.models import Post, Visibility
from townsquare.posts.queries import can_see, visible_to

pytestmark = pytest.mark.django_db

LEVELS: dict[str, Visibility] = {
    "public": Visibility.PUBLIC,
    "unlisted": Visibility.UNLISTED,
    "followers-only": Visibility.FOLLOWERS,
    "mentioned-only": Visibility.MENTIONED,
}

# Relationship of the viewer to the author -> (viewer's username or None, author's username).
# "ana" runs an open gardening club account; "lou" a chess society account that approves
# followers (locked). Every post of both mentions "mira", who follows nobody.
RELATIONSHIPS: dict[str, tuple[str | None, str]] = {
    "author": ("ana", "ana"),
    "follower": ("fern", "ana"),  # an accepted follower
    "non_follower": ("sam", "ana"),  # a signed-in member who does not follow
    "anonymous": (None, "ana"),  # a visitor who is not signed in
    "mentioned": ("mira", "ana"),  # mentioned in the post, does not follow
    "pending_requester": ("pia", "lou"),  # asked to follow the locked account, still waiting
    "approved_follower": ("abe", "lou"),  # asked to follow the locked account, approved
    # "ivy" shows her posts to signed-in members only (a privacy setting).
    "visitor_of_members_only": (None, "ivy"),
    "member_of_members_only": ("sam", "ivy"),  # signed in, does not follow ivy
}

SURFACES = ("home", "profile", "permalink", "public_timeline")

TOPICS = {
    "ana": "The gardening club swaps seedlings on Saturday",
    "lou": "The chess society meets on Thursday evening",
    "ivy": "The bee keepers check the hives at dawn",
}
AUTHORS = tuple(TOPICS)


@dataclass
class World:
    users: dict[str, User]
    posts: dict[tuple[str, str], Post]  # (author username, level name) -> post
    markers: dict[int, str]  # post id -> a text only that post contains

    def viewer(self, relationship: str) -> User | None:
        username = RELATIONSHIPS[relationship][0]
        return None if username is None else self.users[username]

    def post(self, level: str, relationship: str) -> Post:
        return self.posts[RELATIONSHIPS[relationship][1], level]


def build_world(*, posts_first: bool = False) -> World:
    """Two authors, five readers, and four posts by each author (one per level).

    By default the follows come first and the posts reach home feeds by fan-out; with
    `posts_first` the posts come first and reach home feeds by the back-fill of a new follow
    (or of an approved follow request).
    """
    users = {
        name: make_user(name, locked=name == "lou")
        for name in ("ana", "lou", "ivy", "fern", "sam", "mira", "pia", "abe")
    }
    account_actions.set_privacy(users["ivy"], show_posts_to_visitors=False)
    posts: dict[tuple[str, str], Post] = {}
    markers: dict[int, str] = {}

    def write_posts() -> None:
        for author in AUTHORS:
            for level_name, level in LEVELS.items():
                marker = f"marker-{author}-{level_name}-xq"
                text = f"{TOPICS[author]} ({marker}), see you there @mira"
                post = make_post(users[author], text, level)
                posts[author, level_name] = post
                markers[post.pk] = marker
        run_jobs()

    if posts_first:
        write_posts()
    assert follow(users["fern"], users["ana"]) == graph_actions.FOLLOWING
    assert follow(users["pia"], users["lou"]) == graph_actions.REQUESTED
    assert follow(users["abe"], users["lou"]) == graph_actions.REQUESTED
    request = FollowRequest.objects.get(follower=users["abe"], followee=users["lou"])
    graph_actions.approve_request(users["lou"], request.pk)
    run_jobs()
    if not posts_first:
        write_posts()

    # The relationships are what the matrix says they are.
    assert Follow.objects.filter(follower=users["fern"], followee=users["ana"]).exists()
    assert Follow.objects.filter(follower=users["abe"], followee=users["lou"]).exists()
    assert not Follow.objects.filter(follower=users["pia"]).exists()
    assert FollowRequest.objects.filter(follower=users["pia"], followee=users["lou"]).exists()
    assert not Follow.objects.filter(follower__in=[users["sam"], users["mira"]]).exists()
    for post in posts.values():
        assert list(post.mentions.values_list("user__username", flat=True)) == ["mira"]
    return World(users, posts, markers)


# --- the rules, written out independently of the code under test -----------------------------


def may_see(level: str, relationship: str) -> bool:
    """Profile and permalink: whether the viewer may see the post at all."""
    if relationship == "visitor_of_members_only":
        return False
    if level in ("public", "unlisted"):
        return True
    if level == "followers-only":
        return relationship in ("author", "follower", "approved_follower", "mentioned")
    return relationship in ("author", "mentioned")


def in_home_feed(level: str, relationship: str) -> bool:
    if relationship == "visitor_of_members_only":
        return False  # not even on the landing page
    if relationship == "anonymous":
        # No home feed: `/` is the landing page, listing the latest public posts only.
        return level == "public"
    if relationship == "author":
        return True
    if relationship in ("follower", "approved_follower"):
        return level != "mentioned-only"
    # A post that mentions you reaches your home feed, whatever its level; strangers
    # (non_follower, pending_requester) get nothing at home.
    return relationship == "mentioned"


def expected(level: str, relationship: str, surface: str) -> bool:
    if surface == "public_timeline":
        return level == "public" and relationship != "visitor_of_members_only"
    if surface == "home":
        return in_home_feed(level, relationship)
    return may_see(level, relationship)


# --- reading the pages ------------------------------------------------------------------------


def url_for(surface: str, post: Post) -> str:
    username = post.author.username
    return {
        "home": "/",
        "profile": f"/@{username}",
        "permalink": f"/@{username}/{post.pk}",
        "public_timeline": "/public",
    }[surface]


def shown(html: str, post: Post, marker: str) -> bool:
    """Whether the page shows the post. A hidden post leaves no trace: not its text, not its id
    (not even in a live-update poller URL)."""
    card = f'id="post-{post.pk}"' in html
    if card:
        assert marker in html, "the post's card is there without its text"
        return True
    assert marker not in html, "the post's text leaked outside a post card"
    assert str(post.pk) not in html, "the post's id leaked into the page"
    return False


def check_query_layer(viewer: User | None, post: Post, allowed: bool) -> None:
    post = Post.objects.select_related("author").get(pk=post.pk)  # fresh author state
    viewers: list[User | AnonymousUser | None] = [viewer] if viewer else [None, AnonymousUser()]
    for who in viewers:
        assert can_see(who, post) is allowed, f"can_see({who!r}) is not {allowed}"
        in_queryset = visible_to(who).filter(pk=post.pk).exists()
        assert in_queryset is allowed, f"visible_to({who!r}) disagrees with can_see"
        listed = queries.list_posts(who, where="p.id = %s", params=[post.pk])
        in_listing = [p.pk for p in listed] == [post.pk]
        assert in_listing is allowed, f"visibility_sql({who!r}) disagrees with can_see"


def check_page(client: Client, surface: str, post: Post, marker: str, want: bool) -> None:
    response = client.get(url_for(surface, post))
    assert response.status_code != 500, surface
    assert response.status_code != 403, f"{surface}: a 403 confirms that something exists"
    if surface == "permalink":
        assert response.status_code == (200 if want else 404), surface
    else:
        assert response.status_code == 200, surface
    assert shown(response.content.decode(), post, marker) is want, f"{surface}: shown is not {want}"


def cells() -> list[tuple[str, str]]:
    """Every (level, relationship) cell. One world holds a post of every level by every
    author and a reader of every relationship, so each test builds one world and checks every
    cell in it (the surfaces only read; building a world is most of the time), and reports
    every cell that fails, not just the first."""
    return [(level, relationship) for level in LEVELS for relationship in RELATIONSHIPS]


def check_cells(check: Callable[[str, str], None], wanted: list[tuple[str, str]]) -> None:
    failures = []
    for level, relationship in wanted:
        try:
            check(level, relationship)
        except AssertionError as error:
            failures.append(f"{level} / {relationship}: {str(error).splitlines()[0]}")
    assert not failures, f"{len(failures)} cells fail:\n" + "\n".join(failures)


def client_for(viewer: User | None) -> Client:
    client = Client()
    if viewer is not None:
        client.force_login(viewer)
    return client


# --- the matrix -------------------------------------------------------------------------------


def test_visibility() -> None:
    world = build_world()

    def check(level: str, relationship: str) -> None:
        viewer, post = world.viewer(relationship), world.post(level, relationship)
        check_query_layer(viewer, post, may_see(level, relationship))
        client = client_for(viewer)
        marker = world.markers[post.pk]
        for surface in SURFACES:
            check_page(client, surface, post, marker, expected(level, relationship, surface))
        response = client.get("/")
        home_section = 'aria-label="Home feed"' in response.content.decode()
        assert home_section is (viewer is not None), "only members have a home feed"
        live = client.get("/home/new?since=0")  # the live-update poller, from the start
        if viewer is None:
            assert live.status_code == 286  # htmx is told to stop polling; nothing shown
            assert not live.content
        else:
            assert live.status_code == 200
            want = expected(level, relationship, "home")
            assert shown(live.content.decode(), post, marker) is want, "live update"

    check_cells(check, cells())


def test_home_feed_after_backfill() -> None:
    """The same home feed rules when the posts were there before the follow."""
    world = build_world(posts_first=True)

    def check(level: str, relationship: str) -> None:
        viewer, post = world.viewer(relationship), world.post(level, relationship)
        assert viewer is not None
        want = in_home_feed(level, relationship)
        check_page(client_for(viewer), "home", post, world.markers[post.pk], want)

    members = [(lv, rel) for lv, rel in cells() if RELATIONSHIPS[rel][0] is not None]
    check_cells(check, members)


def test_deactivated_author_is_seen_by_nobody() -> None:
    world = build_world()
    User.objects.filter(username__in=AUTHORS).update(is_active=False)

    def check(level: str, relationship: str) -> None:
        viewer, post = world.viewer(relationship), world.post(level, relationship)
        if viewer is not None:
            viewer.refresh_from_db()
        check_query_layer(viewer, post, False)
        client = client_for(viewer)  # a deactivated author is signed out by this
        marker = world.markers[post.pk]
        for surface in SURFACES:
            response = client.get(url_for(surface, post))
            assert response.status_code == (404 if surface in ("profile", "permalink") else 200)
            assert not shown(response.content.decode(), post, marker), surface

    check_cells(check, cells())


def test_a_post_held_by_a_content_rule_is_seen_by_its_author_only() -> None:
    """moderation.rules' "hold", outside groups: gone from every surface for everyone else
    (also from home feeds it already reached), until a moderator releases it. (Every post of
    the world is held; each cell looks at its own.)"""
    world = build_world()
    Post.objects.filter(pk__in=[p.pk for p in world.posts.values()]).update(held=True)

    def check(level: str, relationship: str) -> None:
        post = world.post(level, relationship)
        viewer = world.viewer(relationship)
        is_author = viewer is not None and viewer.pk == post.author_id
        check_query_layer(viewer, post, is_author)
        client = client_for(viewer)
        marker = world.markers[post.pk]
        for surface in SURFACES:
            want = is_author and expected(level, relationship, surface)
            check_page(client, surface, post, marker, want)

    check_cells(check, cells())


# --- the query layer agrees with itself on the whole world ------------------------------------


def test_visible_to_and_can_see_agree_on_every_post() -> None:
    world = build_world()
    follows = {("fern", "ana"), ("abe", "lou")}

    def agree(relationship: str, *, deactivated: bool) -> None:
        viewer = world.viewer(relationship)
        if viewer is not None:
            viewer.refresh_from_db()
        listed = set(visible_to(viewer).values_list("pk", flat=True))
        one_by_one = {p.pk for p in Post.objects.select_related("author") if can_see(viewer, p)}
        assert listed == one_by_one, "visible_to disagrees with can_see"
        sql_listed = {p.pk for p in queries.list_posts(viewer, limit=1000)}
        assert sql_listed == listed, "visibility_sql disagrees with visible_to"
        if deactivated:
            assert listed == set()
            return
        username = RELATIONSHIPS[relationship][0]
        wanted = set()
        for (author, level), post in world.posts.items():
            if username is None:
                towards_author = "visitor_of_members_only" if author == "ivy" else "anonymous"
            elif username == author:
                towards_author = "author"
            elif username == "mira":
                towards_author = "mentioned"
            elif (username, author) in follows:
                towards_author = "follower"
            else:
                towards_author = "non_follower"
            if may_see(level, towards_author):
                wanted.add(post.pk)
        assert listed == wanted

    check_cells(lambda _lv, rel: agree(rel, deactivated=False), [("-", r) for r in RELATIONSHIPS])
    User.objects.filter(username__in=AUTHORS).update(is_active=False)
    check_cells(lambda _lv, rel: agree(rel, deactivated=True), [("-", r) for r in RELATIONSHIPS])


# --- a hidden permalink looks exactly like a missing one --------------------------------------

_CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def _without_tokens(html: str) -> str:
    return _CSRF.sub(r"\1-", html)


@pytest.mark.parametrize("relationship", ["non_follower", "anonymous", "pending_requester"])
def test_hidden_permalink_is_indistinguishable_from_a_missing_one(
    client: Client, relationship: str
) -> None:
    world = build_world()
    viewer = world.viewer(relationship)
    if viewer is not None:
        client.force_login(viewer)
    hidden = world.post("mentioned-only", relationship)
    username = hidden.author.username
    missing_id = max(p.pk for p in world.posts.values()) + 12345
    forbidden = client.get(f"/@{username}/{hidden.pk}")
    missing = client.get(f"/@{username}/{missing_id}")
    assert forbidden.status_code == missing.status_code == 404
    assert _without_tokens(forbidden.content.decode()) == _without_tokens(missing.content.decode())
    # The spelling fix-up redirect (other letter case) never fires for a hidden post.
    assert client.get(f"/@{username.upper()}/{hidden.pk}").status_code == 404
    # Under another member's name, a visible post is not found either (no redirect that
    # would confirm it exists elsewhere).
    public = world.post("public", relationship)
    assert client.get(f"/@mira/{public.pk}").status_code == 404
