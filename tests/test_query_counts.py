"""Pinned SQL query counts for the hot pages.

A page costs a fixed number of queries, whatever the number of posts on it or of authors
behind them (5 posts or 20, from 1 author or 10). The numbers are exact: a change that adds a
query fails here, and so does one that saves a query (then lower the pinned number). The
counts include the session and authentication queries as the real middleware makes them.

A signed-in request is measured in its steady state: the first request after logging in also
records the session's activity (see `SessionActivityMiddleware`), which is pinned on its own.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.feeds import broadcasters
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _switches_read_once(switches_read_once: None) -> None:
    """Every page here is counted with the feature switches already read (tests/conftest)."""


# The session (read from the database embedded; from the Redis cache when Redis is
# configured, then written through to both) and the user.
SESSION_READ = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
SIGNED_IN = SESSION_READ + 1
# the first signed-in request also writes the session activity: UPDATE usersession,
# SAVEPOINT, UPDATE django_session, RELEASE SAVEPOINT; and (the member's first request of the
# day) their day of activity: UPDATE user (feeds.activity)
FIRST_REQUEST_EXTRA = 5

# The menu's badges on every member's full page (unread notifications, and conversations with
# unread messages): one query (blocks, mutes and visibility are subqueries of the counts).
# Fragments without the menu skip it.
BADGE = 1
# What the member did with the posts shown (liked, shared, bookmarked): one query for the three.
MARKS = 1
# entries joined to posts and authors, one query (it also gives the cursor); the posts carry
# whether they have media, a poll or a link card, so none is queried for posts without
HOME = SIGNED_IN + 1 + BADGE + MARKS
HOME_OLDER = HOME
LIVE_UPDATE = SIGNED_IN + 1 + MARKS  # what arrived since the cursor, one query
LANDING = 1  # `/` for a visitor: the latest public posts
PUBLIC_TIMELINE_ANONYMOUS = 1
PUBLIC_TIMELINE_MEMBER = SIGNED_IN + 1 + BADGE + MARKS
# member lookup, posts, pinned posts, follower count, following count, featured members
PROFILE_ANONYMOUS = 6
# the same, plus the relationship between viewer and member (one query: follows, requests,
# blocks, mutes, featuring, the viewer's note)
PROFILE_FOLLOWER = SIGNED_IN + 7 + BADGE + MARKS
# the post (through the visibility SQL, whatever its level), then its whole conversation
PERMALINK_ANONYMOUS = 2
PERMALINK_PUBLIC_MEMBER = SIGNED_IN + 2 + BADGE + MARKS
PERMALINK_FOLLOWERS_ONLY_FOLLOWER = PERMALINK_PUBLIC_MEMBER
PERMALINK_MENTIONED_ONLY_MENTIONED = PERMALINK_PUBLIC_MEMBER

# The smallest and the largest page: the same count for both shows that it does not grow
# with the posts on the page nor with the authors followed.
SIZES = [
    pytest.param(5, 1, id="5-posts-1-author"),
    pytest.param(20, 10, id="20-posts-10-authors"),
]
MIXED = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.FOLLOWERS)


def _assert_count(client: Client, url: str, expected: int, expected_posts: int | None) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    if expected_posts is not None:
        assert response.content.decode().count('<article class="post"') == expected_posts
    sql = "\n".join(f"  {q['sql']}" for q in queries.captured_queries)
    assert len(queries.captured_queries) == expected, (
        f"{url}: {len(queries.captured_queries)} queries, pinned {expected}:\n{sql}"
    )


def _signed_in(client: Client, user: User) -> None:
    """Log in and make one request, so that the session activity (and the member's day of
    activity) is recorded already; and warm the site's list of broadcasters, which each
    process reads once a minute (feeds.broadcasters), as a running site has it."""
    client.force_login(user)
    assert client.get("/public").status_code == 200
    broadcasters.broadcasting()


def _community(
    n_posts: int, n_authors: int, *, visibilities: tuple[Visibility, ...] = MIXED
) -> tuple[User, list[User]]:
    """A reader who follows `n_authors` members, who wrote `n_posts` posts between them (with
    mentions and hashtags, mixed visibility), fanned out to the reader's home feed."""
    reader = make_user("reader")
    authors = [make_user(f"chessplayer{i}") for i in range(n_authors)]
    for author in authors:
        follow(reader, author)
    run_jobs()
    for i in range(n_posts):
        author = authors[i % n_authors]
        text = f"Chess society puzzle {i}: mate in two. @reader #chess #puzzle{i % 3}"
        make_post(author, text, visibilities[i % len(visibilities)])
    run_jobs()
    return reader, authors


# --- home feed ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n_posts", "n_authors"), SIZES)
def test_home_feed(client: Client, n_posts: int, n_authors: int) -> None:
    reader, _ = _community(n_posts, n_authors)
    _signed_in(client, reader)
    _assert_count(client, "/", HOME, n_posts)


@pytest.mark.parametrize(("n_posts", "n_authors"), SIZES)
def test_home_feed_first_request_after_login(client: Client, n_posts: int, n_authors: int) -> None:
    reader, _ = _community(n_posts, n_authors)
    client.force_login(reader)
    broadcasters.broadcasting()  # as a running process has it (read once a minute)
    _assert_count(client, "/", HOME + FIRST_REQUEST_EXTRA, n_posts)


@pytest.mark.parametrize(("n_posts", "n_authors"), SIZES)
def test_home_feed_older_page_and_live_updates(
    client: Client, n_posts: int, n_authors: int
) -> None:
    reader, _ = _community(n_posts + 20, n_authors)
    _signed_in(client, reader)
    newest_on_second_page = sorted(Post.objects.values_list("pk", flat=True))[n_posts]
    _assert_count(client, f"/?max_id={newest_on_second_page}", HOME_OLDER, n_posts)
    _assert_count(client, "/home/new?since=0", LIVE_UPDATE, n_posts + 20)


@pytest.mark.parametrize(("n_posts", "n_authors"), SIZES)
def test_landing_page(client: Client, n_posts: int, n_authors: int) -> None:
    _community(n_posts, n_authors, visibilities=(Visibility.PUBLIC,))
    _assert_count(client, "/", LANDING, min(n_posts, 10))


# --- public timeline ----------------------------------------------------------------------------


@pytest.mark.parametrize(("n_posts", "n_authors"), SIZES)
def test_public_timeline(client: Client, n_posts: int, n_authors: int) -> None:
    reader, _ = _community(n_posts, n_authors, visibilities=(Visibility.PUBLIC,))
    _assert_count(client, "/public", PUBLIC_TIMELINE_ANONYMOUS, n_posts)
    _signed_in(client, reader)
    _assert_count(client, "/public", PUBLIC_TIMELINE_MEMBER, n_posts)


# --- profile ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_posts", "n_followers"),
    [
        pytest.param(5, 1, id="5-posts-1-follower"),
        pytest.param(20, 1, id="20-posts-1-follower"),
        pytest.param(5, 10, id="5-posts-10-followers"),
        pytest.param(20, 10, id="20-posts-10-followers"),
    ],
)
def test_profile(client: Client, n_posts: int, n_followers: int) -> None:
    reader, (author,) = _community(n_posts, 1)
    for i in range(n_followers - 1):
        follow(make_user(f"kibitzer{i}"), author)
    run_jobs()
    url = f"/@{author.username}"
    public_or_unlisted = sum(1 for i in range(n_posts) if MIXED[i % 3] != Visibility.FOLLOWERS)
    _assert_count(client, url, PROFILE_ANONYMOUS, public_or_unlisted)
    _signed_in(client, reader)
    _assert_count(client, url, PROFILE_FOLLOWER, n_posts)


# --- permalink ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("n_posts", "n_authors"), SIZES)
def test_permalink(client: Client, n_posts: int, n_authors: int) -> None:
    reader, authors = _community(n_posts, n_authors)
    author = authors[0]
    public = make_post(author, "Chess society: the spring tournament draw is out. @reader")
    followers_only = make_post(author, "Board rental codes inside.", Visibility.FOLLOWERS)
    mentioned_only = make_post(author, "@reader can you bring the clocks?", Visibility.MENTIONED)
    run_jobs()
    _assert_count(client, f"/@{author.username}/{public.pk}", PERMALINK_ANONYMOUS, 1)
    _signed_in(client, reader)
    _assert_count(client, f"/@{author.username}/{public.pk}", PERMALINK_PUBLIC_MEMBER, 1)
    _assert_count(
        client,
        f"/@{author.username}/{followers_only.pk}",
        PERMALINK_FOLLOWERS_ONLY_FOLLOWER,
        1,
    )
    _assert_count(
        client,
        f"/@{author.username}/{mentioned_only.pk}",
        PERMALINK_MENTIONED_ONLY_MENTIONED,
        1,
    )
