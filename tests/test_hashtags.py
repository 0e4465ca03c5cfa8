"""Hashtag pages, trending hashtags and following a hashtag."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.conftest import text_of
from tests.factories import make_post, make_user, run_jobs
from townsquare.posts import actions
from townsquare.posts.hashtags import trending
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db


def test_trending_counts_distinct_public_authors_in_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gardeners = [make_user(f"gardener{i}") for i in range(3)]
    for person in gardeners:
        make_post(person, "Dahlias are up #dahlias")
    for _ in range(5):
        make_post(gardeners[0], "More #compost thoughts")  # one person, many posts
    make_post(gardeners[1], "#secretplot", Visibility.FOLLOWERS)  # not public: not counted
    day = trending(timedelta(days=1))
    assert [(t.name, t.authors) for t in day[:2]] == [("dahlias", 3), ("compost", 1)]
    assert "secretplot" not in {t.name for t in day}
    # Two days later the posts have left the day's list but stay in the week's.
    from django.core.cache import cache
    from django.utils import timezone

    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr("townsquare.posts.hashtags.timezone.now", lambda: later)
    cache.clear()
    assert trending(timedelta(days=1)) == []
    assert "dahlias" in {t.name for t in trending(timedelta(days=7))}


def test_opted_out_members_do_not_make_trends() -> None:
    shy = make_user("shy")
    shy.discoverable = False
    shy.save()
    make_post(shy, "#quietgarden")
    assert trending(timedelta(days=7)) == []


def test_followed_hashtag_brings_public_posts_home(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    client.force_login(fern)
    assert client.post("/tags/Beekeeping/follow").status_code == 302
    make_post(ana, "Hive inspection today #beekeeping (marker-bees)")
    make_post(ana, "Followers only #beekeeping (marker-closed)", Visibility.FOLLOWERS)
    run_jobs()
    home = text_of(client.get("/"))
    assert "marker-bees" in home and "marker-closed" not in home
    page = text_of(client.get("/tags/beekeeping"))
    assert "Unfollow #beekeeping" in page
    client.post("/tags/beekeeping/unfollow")
    make_post(ana, "Honey harvest #beekeeping (marker-later)")
    run_jobs()
    assert "marker-later" not in text_of(client.get("/"))


def test_tag_page_lists_public_posts_only_and_shows_trends(client: Client) -> None:
    ana = make_user("ana")
    make_post(ana, "Open day #seeds (marker-public)")
    make_post(ana, "Unlisted #seeds (marker-unlisted)", Visibility.UNLISTED)
    page = text_of(client.get("/tags/seeds"))
    assert "marker-public" in page and "marker-unlisted" not in page
    assert "Trending today" in page
    trends = text_of(client.get("/trending"))
    assert "#seeds" in trends and "This week" in trends


def test_following_a_bad_hashtag_is_a_message_not_a_crash(client: Client) -> None:
    fern = make_user("fern")
    client.force_login(fern)
    with pytest.raises(Exception, match="not a hashtag"):
        actions.follow_hashtag(fern, "not a tag!")
    assert client.post("/tags/" + "x" * 101 + "/follow").status_code == 404
