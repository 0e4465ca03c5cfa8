"""The visibility matrix, continued: threads, hashtag pages, search, shares and
notifications, for every level and every relationship, blocks and mutes included. Zero leaks.

The world: ruth starts a public thread; ana answers it once at each level, each answer
tagged #seedswap, carrying a unique marker word and mentioning mira; ruth shares ana's
answers that may be shared. The viewers, by their relationship to ana:

- author (ana), follower (fern), non_follower (sam), anonymous (a visitor), mentioned (mira);
- blocked: bo followed ana until ana blocked him (a block ends follows both ways);
- muting: mo follows ana and has muted her.

Rules (written out here, independently of the code):
- may see: as in test_visibility_matrix, and nothing at all across a block;
- thread page, hashtag page and search are listings: a muted author's posts are left out;
- the hashtag page lists public posts only; search finds whatever the viewer may see;
- a share shows on the sharer's profile when the viewer may see the original;
- a mention notification shows only while the post may be seen.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import follow, make_user, run_jobs
from tests.test_visibility_matrix import LEVELS
from townsquare.accounts.models import User
from townsquare.graph import actions as graph
from townsquare.posts import actions
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db

VIEWERS = {
    "author": "ana",
    "follower": "fern",
    "non_follower": "sam",
    "anonymous": None,
    "mentioned": "mira",
    "blocked": "bo",
    "muting": "mo",
}
SURFACES = ("thread", "hashtag", "search", "share_on_profile")


def may_see(level: str, relationship: str) -> bool:
    if relationship == "blocked":
        return False
    if level in ("public", "unlisted"):
        return True
    if level == "followers-only":
        return relationship in ("author", "follower", "muting", "mentioned")
    return relationship in ("author", "mentioned")


def expected(level: str, relationship: str, surface: str) -> bool:
    seen = may_see(level, relationship)
    if surface == "share_on_profile":
        return seen and level in ("public", "unlisted")
    listed = seen and relationship != "muting"
    if surface == "hashtag":
        return listed and level == "public"
    return listed


def build() -> tuple[dict[str, User], Post, dict[str, Post]]:
    users = {name: make_user(name) for name in ("ana", "ruth", "fern", "sam", "mira", "bo", "mo")}
    for name in ("fern", "bo", "mo"):
        follow(users[name], users["ana"])
    root = actions.create_post(users["ruth"], text="Garden meetup: what will you bring?")
    answers = {}
    for level_name, level in LEVELS.items():
        answers[level_name] = actions.create_post(
            users["ana"],
            text=f"Spare {search_word(level_name)} (marker{level_name.replace('-', '')}xq)"
            " #seedswap @mira",
            visibility=level,
            in_reply_to=root,
        )
        if level in (Visibility.PUBLIC, Visibility.UNLISTED):
            actions.share(users["ruth"], answers[level_name])
    graph.block(users["ana"], users["bo"])
    graph.mute(users["mo"], users["ana"])
    run_jobs()
    return users, root, answers


def marker(level: str) -> str:
    return f"marker{level.replace('-', '')}xq"


def search_word(level: str) -> str:
    """A word each answer has, searched for (the search page repeats the query, so the query
    is not the marker)."""
    return f"onions{level.replace('-', '')}kw"


def url(surface: str, root: Post, level: str) -> str:
    return {
        "thread": f"/@ruth/{root.pk}",
        "hashtag": "/tags/seedswap",
        "search": f"/search?q={search_word(level)}",
        "share_on_profile": "/@ruth",
    }[surface]


def test_surfaces() -> None:
    """Every surface of every cell (level x viewer), in one world: the surfaces only read, and
    each answer's level is its own post. Reports every failing cell."""
    users, root, answers = build()
    failures = []
    for level in LEVELS:
        for relationship, name in VIEWERS.items():
            client = Client()
            if name is not None:
                client.force_login(users[name])
            for surface in SURFACES:
                response = client.get(url(surface, root, level))
                html = response.content.decode()
                want = expected(level, relationship, surface)
                cell = f"{level} / {relationship} / {surface}"
                if response.status_code != 200:
                    failures.append(f"{cell}: status {response.status_code}")
                elif (marker(level) in html) is not want:
                    failures.append(f"{cell}: shown is not {want}")
                elif not want and str(answers[level].pk) in html:
                    failures.append(f"{cell}: the post's id leaked")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


@pytest.mark.parametrize("level", list(LEVELS))
def test_mention_notifications_only_while_the_post_may_be_seen(client: Client, level: str) -> None:
    users, _, answers = build()
    client.force_login(users["mira"])
    assert marker(level) in client.get("/notifications").content.decode()
    # Others were not mentioned: nothing about the post in their notifications.
    for name in ("fern", "sam", "mo"):
        client.force_login(users[name])
        assert marker(level) not in client.get("/notifications").content.decode()
    client.force_login(users["mira"])
    graph.block(users["ana"], users["mira"])
    page = client.get("/notifications").content.decode()
    assert marker(level) not in page and str(answers[level].pk) not in page


def test_share_vanishes_for_someone_the_original_author_blocked(client: Client) -> None:
    users, _, _ = build()
    client.force_login(users["bo"])
    page = client.get("/@ruth").content.decode()
    assert "shared" not in page and marker("public") not in page
    client.force_login(users["sam"])
    assert marker("public") in client.get("/@ruth").content.decode()
