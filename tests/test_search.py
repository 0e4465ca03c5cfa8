"""Search: one box for people, hashtags and posts. Post search is full-text, shows only what
the searcher may see, ranks by match and recency, and leaves out members who opted out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.conftest import text_of
from tests.factories import follow, make_post, make_user
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.graph import actions as graph_actions
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post, Visibility
from townsquare.search.queries import (
    search_hashtags,
    search_people,
    search_posts,
    search_posts_page,
)
from townsquare.search.terms import MAX_QUERY_LENGTH, parse

pytestmark = pytest.mark.django_db

NASTY = [
    '"unbalanced',
    "AND OR NOT *",
    "NEAR(",
    "NEAR(garden, 2)",
    "garden*",
    "-garden",
    "text:garden",
    "^garden",
    "(garden OR",
    "'; DROP TABLE posts_post; --",
    "a & b | !c <-> d",
    "\\",
    "%_%",
    "garden\x00seeds",
    "😀🌱 garden",
    "x" * 5000,
]


def ids(posts: list) -> list[int]:
    return [post.pk for post in posts]


def set_age(post: Post, days: float) -> None:
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(days=days))


# -- people ---------------------------------------------------------------------------------


def test_people_by_username_and_display_name_prefix_first() -> None:
    rosa = make_user("rosalind")
    primrose = make_user("primrose")
    account_actions.update_profile(make_user("hedge"), display_name="Rosa of the Roses")
    found = search_people(None, "ros")
    names = [person.username for person in found]
    assert set(names) == {"rosalind", "primrose", "hedge"}
    assert names[-1] == "primrose"  # only contains "ros"; the other two start with it
    assert search_people(None, "@Rosalind")[0] == rosa
    assert primrose in search_people(None, "PRIM")


def test_people_leaves_out_deactivated_and_opted_out_members() -> None:
    make_user("basil")
    make_user("basilisk")
    User.objects.filter(username="basilisk").update(is_active=False)
    make_user("basilico")
    User.objects.filter(username="basilico").update(discoverable=False)
    assert [person.username for person in search_people(None, "basil")] == ["basil"]


def test_people_leaves_out_blocks_both_ways() -> None:
    fern = make_user("fern")
    make_user("thyme_grower")
    blocked = make_user("thyme_lover")
    blocker = make_user("thyme_keeper")
    graph_actions.block(fern, blocked)
    graph_actions.block(blocker, fern)
    assert [p.username for p in search_people(fern, "thyme")] == ["thyme_grower"]
    assert len(search_people(None, "thyme")) == 3


def test_people_ignores_short_and_wildcard_input() -> None:
    make_user("sage")
    assert search_people(None, "s") == []
    assert search_people(None, "%%") == []
    assert search_people(None, "__") == []


# -- hashtags -------------------------------------------------------------------------------


def test_hashtags_exact_then_prefix_then_contains() -> None:
    author = make_user("ana")
    make_post(author, "Seed swap on Saturday #wintergarden #garden #gardenclub")
    assert [tag.name for tag in search_hashtags("#Garden")] == [
        "garden",
        "gardenclub",
        "wintergarden",
    ]
    assert search_hashtags("#") == []
    assert search_hashtags("g") == []


# -- posts: matching ------------------------------------------------------------------------


def test_posts_found_by_their_words_in_any_case() -> None:
    author = make_user("ana")
    post = make_post(author, "The Chess Society meets on Tuesday evenings.")
    make_post(author, "Planting garlic today.")
    assert ids(search_posts(None, "chess")) == [post.pk]
    assert ids(search_posts(None, "TUESDAY society")) == [post.pk]
    assert search_posts(None, "checkmate") == []


def test_posts_found_by_words_without_accents_on_sqlite(database_vendor: str) -> None:
    post = make_post(make_user("ana"), "Soup at the café after the harvest.")
    assert ids(search_posts(None, "café")) == [post.pk]
    if database_vendor == "sqlite":  # PostgreSQL's 'simple' configuration keeps accents
        assert ids(search_posts(None, "cafe")) == [post.pk]


def test_deleted_post_is_no_longer_found() -> None:
    author = make_user("ana")
    post = make_post(author, "Spare tomato seedlings by the gate.")
    assert ids(search_posts(None, "seedlings")) == [post.pk]
    Post.objects.filter(pk=post.pk).delete()  # any write path: the index follows the table
    assert search_posts(None, "seedlings") == []


def test_edited_post_is_found_by_its_new_words() -> None:
    author = make_user("ana")
    post = make_post(author, "Meeting about the compost bins.")
    Post.objects.filter(pk=post.pk).update(text="Meeting about the rainwater barrels.")
    assert search_posts(None, "compost") == []
    assert ids(search_posts(None, "rainwater")) == [post.pk]


def test_counts_updates_leave_the_index_alone() -> None:
    post = make_post(make_user("ana"), "Pumpkin weigh-in results.")
    post_actions.like(make_user("fern"), post)
    Post.objects.filter(pk=post.pk).update(replies_count=3)
    assert ids(search_posts(None, "pumpkin")) == [post.pk]


def test_posts_written_before_the_index_exist_are_indexed(database_vendor: str) -> None:
    """The migration indexes existing posts; on SQLite the index is rebuilt after a
    migration that recreated posts_post (which drops its triggers)."""
    post = make_post(make_user("ana"), "Bulb planting workshop.")
    if database_vendor != "sqlite":
        assert ids(search_posts(None, "bulb")) == [post.pk]
        return
    from townsquare.search.schema import TRIGGERS, repair_sqlite_index

    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    Post.objects.filter(pk=post.pk).update(text="Tulip planting workshop.")
    assert repair_sqlite_index() is True
    assert repair_sqlite_index() is False  # nothing left to repair
    assert search_posts(None, "bulb") == []
    assert ids(search_posts(None, "tulip")) == [post.pk]
    newer = make_post(make_user("fern"), "Tulip bulbs for sale.")
    assert ids(search_posts(None, "tulip")) == [newer.pk, post.pk]


@pytest.mark.parametrize(
    ("recent_window", "scan_budget"),
    [(1000, 40_000), (2, 40_000), (2, 3)],
    ids=["newest-posts", "older-windows", "index"],
)
def test_newest_matches_found_however_the_database_reads_them(
    monkeypatch: pytest.MonkeyPatch, recent_window: int, scan_budget: int
) -> None:
    """PostgreSQL checks the newest posts first, then older windows, then the index; each way
    finds the same newest matches (SQLite ignores these settings)."""
    from townsquare.search import backends, queries

    monkeypatch.setattr(backends, "RECENT_WINDOW", recent_window)
    monkeypatch.setattr(backends, "SCAN_BUDGET", scan_budget)
    monkeypatch.setattr(queries, "ALL_WORDS_CANDIDATES", 3)
    monkeypatch.setattr(queries, "SOME_WORDS_CANDIDATES", 2)
    author = make_user("ana")
    posts = []
    for n in range(12):
        text = "Leek and onion show." if n % 3 == 0 else f"Compost heap turned, day {n}."
        posts.append(make_post(author, text if n % 2 else f"{text} Onion sets too."))
    onions = [post.pk for post in reversed(posts) if "onion" in post.text.lower()]
    leeks = [post.pk for post in reversed(posts) if "Leek" in post.text]
    assert ids(search_posts(None, "onion")) == onions[:3]
    found = ids(search_posts(None, "leek onion"))
    assert found[:3] == leeks[:3]  # the newest with both words first
    assert set(found) == set(leeks[:3] + onions[:2])  # then the newest with either
    assert search_posts(None, "xylophone") == []


def test_search_index_migration_runs_twice_and_reverses(database_vendor: str) -> None:
    """Operators may run migrations again: forward and reverse are idempotent, and search
    works after running forward (on SQLite the migration does nothing)."""
    import importlib
    from types import SimpleNamespace

    migration = importlib.import_module(
        "townsquare.search.migrations.0002_postgres_stored_search_vector"
    )
    editor = SimpleNamespace(connection=connection)  # all the migration uses of a schema editor
    post = make_post(make_user("ana"), "Rainwater butts installed.")
    if database_vendor == "postgresql":  # check the test's deferred foreign keys before DDL
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for step in ("forward", "forward", "reverse", "reverse", "forward"):
        getattr(migration, step)(None, editor)
        if step == "forward":
            assert ids(search_posts(None, "rainwater")) == [post.pk]
    assert Post.objects.get(pk=post.pk).text == "Rainwater butts installed."


# -- posts: who finds what ------------------------------------------------------------------


def test_followers_only_post_found_by_followers_only() -> None:
    author = make_user("ana")
    follower = make_user("fern")
    stranger = make_user("sam")
    follow(follower, author)
    post = make_post(author, "Allotment keys are under the mat.", Visibility.FOLLOWERS)
    assert ids(search_posts(follower, "allotment")) == [post.pk]
    assert ids(search_posts(author, "allotment")) == [post.pk]
    assert search_posts(stranger, "allotment") == []
    assert search_posts(None, "allotment") == []


def test_mentioned_only_post_found_by_mentioned_members_only() -> None:
    author = make_user("ana")
    mira = make_user("mira")
    follower = make_user("fern")
    follow(follower, author)
    post = make_post(author, "@mira the greenhouse code changed.", Visibility.MENTIONED)
    assert ids(search_posts(mira, "greenhouse")) == [post.pk]
    assert search_posts(follower, "greenhouse") == []
    assert search_posts(None, "greenhouse") == []


def test_deactivated_authors_posts_never_found() -> None:
    author = make_user("ana")
    make_post(author, "Rhubarb crumble recipe.")
    make_post(author, "Rhubarb for everyone.", Visibility.FOLLOWERS)
    User.objects.filter(pk=author.pk).update(is_active=False)
    author.refresh_from_db()
    for viewer in (None, make_user("fern"), author):
        assert search_posts(viewer, "rhubarb") == []


def test_opted_out_member_hidden_from_people_and_post_search() -> None:
    author = make_user("quietgardener")
    post = make_post(author, "Hedgehog house finished.")
    fern = make_user("fern")
    User.objects.filter(pk=author.pk).update(discoverable=False)
    author.refresh_from_db()
    assert search_people(fern, "quietgardener") == []
    assert search_posts(fern, "hedgehog") == []
    assert search_posts(None, "hedgehog") == []
    assert ids(search_posts(author, "hedgehog")) == [post.pk]  # their own posts, to them


def test_post_search_honours_blocks_and_mutes() -> None:
    fern = make_user("fern")
    blocked = make_user("hedge")
    muted = make_user("bramble")
    bystander = make_user("sam")
    by_fern = make_post(fern, "Sweet pea seeds to share.")
    by_blocked = make_post(blocked, "Sweet pea trellis for sale.")
    by_muted = make_post(muted, "Sweet pea cuttings wanted.")
    graph_actions.block(fern, blocked)
    graph_actions.mute(fern, muted)
    assert set(ids(search_posts(fern, "sweet pea"))) == {by_fern.pk}
    assert by_fern.pk not in ids(search_posts(blocked, "sweet pea"))  # blocks work both ways
    assert set(ids(search_posts(blocked, "sweet pea"))) == {by_blocked.pk, by_muted.pk}
    assert set(ids(search_posts(muted, "sweet pea"))) == {by_fern.pk, by_blocked.pk, by_muted.pk}
    everyone = {by_fern.pk, by_blocked.pk, by_muted.pk}
    assert set(ids(search_posts(bystander, "sweet pea"))) == everyone
    assert set(ids(search_posts(None, "sweet pea"))) == everyone


# -- posts: ranking -------------------------------------------------------------------------


def test_newer_match_ranks_above_a_much_older_one() -> None:
    author = make_user("ana")
    old = make_post(author, "Marigold seedlings ready to collect.")
    new = make_post(author, "Marigold seedlings ready to collect.")
    set_age(old, 60)
    set_age(new, 1)
    assert ids(search_posts(None, "marigold seedlings")) == [new.pk, old.pk]


def test_post_with_every_word_ranks_above_one_with_some() -> None:
    author = make_user("ana")
    both = make_post(author, "Marigold seedlings on the bench.")
    one = make_post(author, "Marigold tea, anyone?")  # newer, but only one word
    other = make_post(author, "Seedlings of leeks.")
    for post in (both, one, other):
        set_age(post, 2)
    found = ids(search_posts(None, "marigold seedlings"))
    assert found[0] == both.pk
    assert set(found) == {both.pk, one.pk, other.pk}


def test_pages_of_results() -> None:
    author = make_user("ana")
    posts = [make_post(author, f"Chess puzzle number {n}.") for n in range(5)]
    first = search_posts_page(None, "chess puzzle", page=1, limit=2)
    second = search_posts_page(None, "chess puzzle", page=2, limit=2)
    third = search_posts_page(None, "chess puzzle", page=3, limit=2)
    assert first.has_next and second.has_next and not third.has_next
    seen = ids(first.posts) + ids(second.posts) + ids(third.posts)
    assert seen == [post.pk for post in reversed(posts)]
    assert search_posts(None, "chess puzzle", page=99) == []


# -- input ----------------------------------------------------------------------------------


def test_query_parsing() -> None:
    assert parse("#Garden").kind == "hashtags"
    assert parse("@fern").kind == "people"
    assert parse("  ").message
    assert parse("g").message
    assert parse("x" * 5000).text == "x" * MAX_QUERY_LENGTH
    assert parse('"unbalanced AND OR').words == ("unbalanced", "and", "or")


@pytest.mark.parametrize("query", NASTY)
def test_nasty_input_never_fails(query: str) -> None:
    author = make_user("ana")
    make_post(author, "Garden seeds and garden tools.")
    search_posts(None, query)
    search_posts(author, query)
    search_people(author, query)
    search_hashtags(query)
    response = Client().get("/search", {"q": query})
    assert response.status_code == 200


# -- the page -------------------------------------------------------------------------------


def test_search_page_for_visitors_and_members() -> None:
    author = make_user("chessclub")
    make_post(author, "Simultaneous exhibition on Friday #chess")
    secret = make_post(author, "Club night strategy notes.", Visibility.FOLLOWERS)
    fern = make_user("fern")
    follow(fern, author)

    visitor = Client()
    assert "Search" in text_of(visitor.get("/search"))
    page = text_of(visitor.get("/search", {"q": "chess"}))
    assert "@chessclub" in page
    assert "/tags/chess" in page
    assert "Simultaneous exhibition" in page
    assert "strategy notes" not in text_of(visitor.get("/search", {"q": "strategy"}))

    member = Client()
    member.force_login(fern)
    page = text_of(member.get("/search", {"q": "strategy", "type": "posts"}))
    assert "Club night strategy notes." in page
    assert str(secret.pk) in page


def test_search_page_tabs_and_messages() -> None:
    make_user("chessclub")
    client = Client()
    assert "at least 2 characters" in text_of(client.get("/search", {"q": "c"}))
    people = text_of(client.get("/search", {"q": "@chess"}))
    assert "@chessclub" in people and "No posts found" not in people
    hashtags = text_of(client.get("/search", {"q": "#chess"}))
    assert "No hashtags found." in hashtags and "@chessclub" not in hashtags
    switched = text_of(client.get("/search", {"q": "#chess", "type": "people"}))
    assert "No hashtags found." in switched  # the # picks the hashtags tab
    odd = client.get("/search", {"q": "chess", "type": "nonsense", "page": "-4"})
    assert odd.status_code == 200
