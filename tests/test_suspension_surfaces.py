"""A suspended account on every surface that lists people or posts (web and API).

The world, a gardening club: rosa keeps the club's notes; basil follows her and she follows
him back, he liked and shared her post about seedlings, wrote his own #seedswap post and is
mentioned in one of rosa's; then mona (a moderator) suspends basil. fern is a member with no
part in it.

Rules (accounts.queries.listed_people): lists of people (followers, following, who liked,
people in search) leave basil out for members and show him to staff who moderate content.
His posts (and so his shares, on hashtag pages and in post search) are hidden from everyone
by posts.visibility. Suggestions never offer him. A mention of him keeps its link, which leads
to the suspension notice (410) and nothing of his profile.

The limited rule on hashtag pages and search: a limited account's posts are absent for
members who do not follow it, present for its followers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from tests.api.conftest import ApiClient, make_token
from tests.conftest import client_of, text_of
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.moderation import enforcement
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post

pytestmark = pytest.mark.django_db

BASIL_WORD = "courgetteflowers"  # only in basil's own post


@dataclass
class World:
    rosa: User
    basil: User
    fern: User
    mona: User
    notes: Post  # rosa's post, liked and shared by basil
    thanks: Post  # rosa's post mentioning basil

    def web(self, who: User) -> Client:
        return client_of(who)

    def api(self, who: User) -> ApiClient:
        return ApiClient(make_token(who))


@pytest.fixture
def world() -> World:
    rosa = make_user("rosa")
    basil = make_user("basil")
    fern = make_user("fern")
    mona = make_user("mona", role="moderator")
    follow(basil, rosa)
    follow(rosa, basil)
    notes = make_post(rosa, "Tomato seedlings are up in the greenhouse #seedswap")
    post_actions.like(basil, notes)
    post_actions.share(basil, notes)
    make_post(basil, f"Swapping {BASIL_WORD} seeds on Saturday #seedswap")
    thanks = make_post(rosa, "Thanks @basil for the bean seeds!")
    run_jobs()
    enforcement.suspend_account(mona, basil, reason="Spam wave")
    return World(rosa, basil, fern, mona, notes, thanks)


def _usernames(entities: list[dict[str, object]]) -> set[object]:
    return {entity["username"] for entity in entities}


def _people_page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return text_of(response)


# --- followers and following --------------------------------------------------------------------


def test_web_followers_list(world: World) -> None:
    assert "@basil" not in _people_page(world.web(world.fern), "/@rosa/followers")
    assert "@basil" in _people_page(world.web(world.mona), "/@rosa/followers")


def test_web_following_list(world: World) -> None:
    assert "@basil" not in _people_page(world.web(world.fern), "/@rosa/following")
    assert "@basil" in _people_page(world.web(world.mona), "/@rosa/following")


def test_api_followers_list(world: World) -> None:
    path = f"/api/v1/accounts/{world.rosa.pk}/followers"
    assert "basil" not in _usernames(world.api(world.fern).get(path).json())
    assert "basil" in _usernames(world.api(world.mona).get(path).json())


def test_api_following_list(world: World) -> None:
    path = f"/api/v1/accounts/{world.rosa.pk}/following"
    assert "basil" not in _usernames(world.api(world.fern).get(path).json())
    assert "basil" in _usernames(world.api(world.mona).get(path).json())


# --- who liked, who shared ------------------------------------------------------------------------


def test_web_liked_by(world: World) -> None:
    path = f"/@rosa/{world.notes.pk}/likes"
    assert "@basil" not in _people_page(world.web(world.fern), path)
    assert "@basil" in _people_page(world.web(world.mona), path)


def test_api_favourited_by(world: World) -> None:
    path = f"/api/v1/statuses/{world.notes.pk}/favourited_by"
    assert "basil" not in _usernames(world.api(world.fern).get(path).json())
    assert "basil" in _usernames(world.api(world.mona).get(path).json())


def test_web_shared_by(world: World) -> None:
    """Built from his shares, which are posts: hidden from everyone while he is suspended."""
    path = f"/@rosa/{world.notes.pk}/shares"
    assert "@basil" not in _people_page(world.web(world.fern), path)
    assert "@basil" not in _people_page(world.web(world.mona), path)


def test_api_reblogged_by(world: World) -> None:
    path = f"/api/v1/statuses/{world.notes.pk}/reblogged_by"
    assert "basil" not in _usernames(world.api(world.fern).get(path).json())
    assert "basil" not in _usernames(world.api(world.mona).get(path).json())


# --- hashtag pages ---------------------------------------------------------------------------------


def test_web_hashtag_page(world: World) -> None:
    page = _people_page(world.web(world.fern), "/tags/seedswap")
    assert "Tomato seedlings" in page  # rosa's post is there
    assert BASIL_WORD not in page
    assert BASIL_WORD not in _people_page(world.web(world.mona), "/tags/seedswap")


def test_api_hashtag_timeline(world: World) -> None:
    found = world.api(world.fern).get("/api/v1/timelines/tag/seedswap").json()
    assert [status["account"]["username"] for status in found] == ["rosa"]


# --- search --------------------------------------------------------------------------------------


def test_web_search_people(world: World) -> None:
    assert "@basil" not in _people_page(world.web(world.fern), "/search?q=basil&type=people")
    assert "@basil" in _people_page(world.web(world.mona), "/search?q=basil&type=people")


def test_web_search_posts(world: World) -> None:
    page = _people_page(world.web(world.fern), f"/search?q={BASIL_WORD}&type=posts")
    assert f"Swapping {BASIL_WORD}" not in page


def test_api_v2_search_accounts(world: World) -> None:
    # "basil" is also his exact username: not even the exact match is given.
    path = "/api/v2/search?q=basil&type=accounts"
    assert "basil" not in _usernames(world.api(world.fern).get(path).json()["accounts"])
    assert "basil" in _usernames(world.api(world.mona).get(path).json()["accounts"])


def test_api_v2_search_resolves_no_profile_link(world: World) -> None:
    path = "/api/v2/search?q=http://testserver/@basil&resolve=true"
    assert world.api(world.fern).get(path).json()["accounts"] == []


def test_api_v2_search_statuses(world: World) -> None:
    found = world.api(world.fern).get(f"/api/v2/search?q={BASIL_WORD}&type=statuses").json()
    assert found["statuses"] == []


def test_api_v1_accounts_search(world: World) -> None:
    path = "/api/v1/accounts/search?q=basil"
    assert "basil" not in _usernames(world.api(world.fern).get(path).json())
    assert "basil" in _usernames(world.api(world.mona).get(path).json())


def test_search_hashtags_skips_tags_only_a_suspended_account_used(world: World) -> None:
    make_post(world.fern, "Compost tea recipe #compostclub")
    sam = make_user("sam")
    make_post(sam, "Only mine #beanpoles")
    enforcement.suspend_account(world.mona, sam)
    found = world.api(world.fern).get("/api/v2/search?q=beanpoles&type=hashtags").json()
    assert found["hashtags"] == []
    found = world.api(world.fern).get("/api/v2/search?q=compostclub&type=hashtags").json()
    assert [tag["name"] for tag in found["hashtags"]] == ["compostclub"]


# --- suggestions, mentions ---------------------------------------------------------------------------


def test_api_suggestions(world: World) -> None:
    found = world.api(world.fern).get("/api/v2/suggestions").json()
    names = {entry["account"]["username"] for entry in found}
    assert "rosa" in names and "basil" not in names


def test_mention_link_leads_to_the_suspension_notice(world: World) -> None:
    """The mention keeps its link (rendered once, when rosa wrote it); the profile behind it
    shows only that the account is suspended."""
    post_page = _people_page(world.web(world.fern), f"/@rosa/{world.thanks.pk}")
    assert 'href="/@basil"' in post_page
    profile = world.web(world.fern).get("/@basil")
    assert profile.status_code == 410
    assert BASIL_WORD not in text_of(profile)


# --- the limited rule on hashtag pages and search ------------------------------------------------------


@pytest.fixture
def limited() -> tuple[User, User, User]:
    """ivy (limited by mona), holly who follows her, and oak who does not."""
    ivy, holly, oak = make_user("ivy"), make_user("holly"), make_user("oak")
    mona = make_user("mona", role="moderator")
    follow(holly, ivy)
    make_post(ivy, "Chess society meets at the allotment shed #chessclub rookendgame")
    run_jobs()
    enforcement.limit_account(mona, ivy, reason="Too many posts at once")
    return ivy, holly, oak


def test_limited_account_on_hashtag_pages(limited: tuple[User, User, User]) -> None:
    _ivy, holly, oak = limited
    assert "rookendgame" in _people_page(client_of(holly), "/tags/chessclub")
    assert "rookendgame" not in _people_page(client_of(oak), "/tags/chessclub")
    assert ApiClient(make_token(oak)).get("/api/v1/timelines/tag/chessclub").json() == []
    assert len(ApiClient(make_token(holly)).get("/api/v1/timelines/tag/chessclub").json()) == 1


def test_limited_account_in_search(limited: tuple[User, User, User]) -> None:
    _ivy, holly, oak = limited
    path = "/api/v2/search?q=rookendgame&type=statuses"
    assert ApiClient(make_token(oak)).get(path).json()["statuses"] == []
    assert len(ApiClient(make_token(holly)).get(path).json()["statuses"]) == 1
    web = "/search?q=rookendgame&type=posts"
    assert "allotment shed" not in _people_page(client_of(oak), web)
    assert "allotment shed" in _people_page(client_of(holly), web)
