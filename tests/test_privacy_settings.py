"""Members' privacy settings beyond who may message them: posts kept from visitors who are not
signed in (on every surface: pages, threads, hashtags, search, shares, the API), and who may
see whom a member follows and who follows them (pages and the API)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import make_token
from tests.conftest import text_of
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import ConnectionsVisibility, MessagePolicy, User
from townsquare.graph import actions as graph
from townsquare.posts import actions as post_actions

pytestmark = pytest.mark.django_db


def _as(member: User | None) -> Client:
    client = Client()
    if member is not None:
        client.force_login(member)
    return client


def test_posts_kept_from_visitors_show_nowhere_to_them_and_everywhere_to_members() -> None:
    ivy, ruth, sam = make_user("ivy"), make_user("ruth"), make_user("sam")
    thread = make_post(ruth, "Who has spare frames? #beekeeping")
    post = post_actions.create_post(
        ivy, text="Hive check at dawn, smoke ready #beekeeping", in_reply_to=thread
    )
    post_actions.share(ruth, post)
    top = make_post(ivy, "Smoke signals from the apiary #beekeeping")
    account_actions.set_privacy(ivy, show_posts_to_visitors=False)
    run_jobs()
    visitor, member = _as(None), _as(sam)
    pages = [
        f"/@ivy/{post.pk}",
        "/@ivy?with_replies=1",
        "/@ruth",  # ruth's share of ivy's post
        f"/@ruth/{thread.pk}",  # the thread
        "/tags/beekeeping",
        "/public",
        "/search?q=smoke&type=posts",
        "/",
    ]
    for url in pages:
        seen_by_visitor = visitor.get(url)
        assert seen_by_visitor.status_code in (200, 404), url
        assert "smoke ready" not in text_of(seen_by_visitor), url
    assert visitor.get(f"/@ivy/{post.pk}").status_code == 404
    assert "shares posts with members of" in text_of(visitor.get("/@ivy"))
    for url in pages[:7]:
        assert "smoke ready" in text_of(member.get(url)), url
    # The API without a token: the same.
    api = Client()
    assert api.get(f"/api/v1/statuses/{post.pk}").status_code == 404
    public = api.get("/api/v1/timelines/public").json()
    assert all("Smoke signals" not in s["content"] for s in public)
    member_auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token(sam)}"}
    members_public = api.get("/api/v1/timelines/public", **member_auth).json()
    assert [s["id"] for s in members_public if "Smoke signals" in s["content"]] == [str(top.pk)]
    assert api.get(f"/api/v1/accounts/{ivy.pk}/statuses").json() == []
    assert api.get(f"/api/v1/statuses/{post.pk}/reblogged_by").status_code == 404
    shares = api.get(f"/api/v1/statuses/{thread.pk}/reblogged_by").json()
    assert shares == []  # (nobody shared ruth's own post)


def test_the_landing_page_and_search_still_show_everyone_elses_public_posts() -> None:
    ivy, ruth = make_user("ivy"), make_user("ruth")
    make_post(ivy, "Members-only honey harvest #waxmoth")
    make_post(ruth, "Everyone welcome at the honey harvest")
    account_actions.set_privacy(ivy, show_posts_to_visitors=False)
    visitor = _as(None)
    for page in (text_of(visitor.get("/")), text_of(visitor.get("/search?q=honey&type=posts"))):
        assert "Everyone welcome" in page and "Members-only honey" not in page
    # A hashtag only she used is not trending, nor found, for anyone.
    assert "/tags/waxmoth" not in text_of(visitor.get("/trending"))
    assert "/tags/waxmoth" not in text_of(visitor.get("/search?q=waxmoth"))
    make_post(ruth, "Me too #waxmoth")  # once someone else uses it, it can be found
    assert "/tags/waxmoth" in text_of(visitor.get("/search?q=waxmoth"))


def test_a_visitor_does_not_see_her_shares_either() -> None:
    ivy, ruth = make_user("ivy"), make_user("ruth")
    post = make_post(ruth, "Open day at the apiary")
    post_actions.share(ivy, post)
    account_actions.set_privacy(ivy, show_posts_to_visitors=False)
    shared_by = Client().get(f"/api/v1/statuses/{post.pk}/reblogged_by").json()
    assert shared_by == []
    member_auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token(ruth)}"}
    seen = Client().get(f"/api/v1/statuses/{post.pk}/reblogged_by", **member_auth).json()
    assert [a["username"] for a in seen] == ["ivy"]


@pytest.mark.parametrize(
    ("choice", "owner", "follower", "stranger", "visitor"),
    [
        (ConnectionsVisibility.EVERYONE, True, True, True, True),
        (ConnectionsVisibility.FOLLOWERS, True, True, False, False),
        (ConnectionsVisibility.ONLY_ME, True, False, False, False),
    ],
)
def test_who_sees_the_follow_lists(
    choice: int, owner: bool, follower: bool, stranger: bool, visitor: bool
) -> None:
    ivy, fern, sam, kit = make_user("ivy"), make_user("fern"), make_user("sam"), make_user("kit")
    follow(fern, ivy)
    follow(ivy, kit)
    account_actions.set_privacy(ivy, connections_visibility=choice)
    for who, allowed in ((ivy, owner), (fern, follower), (sam, stranger), (None, visitor)):
        client = _as(who)
        followers_page = text_of(client.get("/@ivy/followers"))
        following_page = text_of(client.get("/@ivy/following"))
        assert ('class="handle">@fern<' in followers_page) is allowed, who
        assert ('class="handle">@kit<' in following_page) is allowed, who
        assert ("keeps this list private" in followers_page) is not allowed
        headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(who)}"} if who else {}
        api_followers = Client().get(f"/api/v1/accounts/{ivy.pk}/followers", **headers).json()
        assert [a["username"] for a in api_followers] == (["fern"] if allowed else []), who


def test_featured_members_and_familiar_followers_follow_the_same_choice() -> None:
    ivy, fern, sam = make_user("ivy"), make_user("fern"), make_user("sam")
    follow(ivy, fern)
    graph.endorse(ivy, fern)
    follow(sam, fern)
    follow(sam, ivy)
    assert "Featured by ivy" in text_of(_as(sam).get("/@ivy"))
    account_actions.set_privacy(ivy, connections_visibility=ConnectionsVisibility.ONLY_ME)
    assert "Featured by ivy" not in text_of(_as(sam).get("/@ivy"))
    assert "Featured by ivy" in text_of(_as(ivy).get("/@ivy"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token(sam)}"}
    familiar = Client().get("/api/v1/accounts/familiar_followers", {"id[]": [fern.pk]}, **auth)
    # sam follows ivy, who follows fern; but ivy keeps whom she follows to herself.
    assert familiar.json() == [{"id": str(fern.pk), "accounts": []}]
    account_actions.set_privacy(ivy, connections_visibility=ConnectionsVisibility.EVERYONE)
    familiar = Client().get("/api/v1/accounts/familiar_followers", {"id[]": [fern.pk]}, **auth)
    assert [a["username"] for a in familiar.json()[0]["accounts"]] == ["ivy"]


def test_a_blocked_member_never_sees_the_lists() -> None:
    ivy, sam = make_user("ivy"), make_user("sam")
    follow(sam, ivy)
    graph.block(ivy, sam)
    assert "keeps this list private" in text_of(_as(sam).get("/@ivy/following"))


def test_the_privacy_page_saves_every_choice_and_refuses_nonsense() -> None:
    sam = make_user("sam")
    web = _as(sam)
    choices = {
        "message_policy": str(MessagePolicy.NOBODY),
        "connections_visibility": str(ConnectionsVisibility.FOLLOWERS),
    }  # the visitors box left unticked: off
    assert web.post("/settings/privacy", choices).status_code == 302
    sam.refresh_from_db()
    assert sam.message_policy == MessagePolicy.NOBODY
    assert sam.connections_visibility == ConnectionsVisibility.FOLLOWERS
    assert sam.show_posts_to_visitors is False
    page = text_of(web.get("/settings/privacy"))
    assert 'value="1" id="id_connections_visibility_1" required checked' in page
    assert 'value="2" id="id_message_policy_2" required checked' in page
    bad = web.post("/settings/privacy", {**choices, "connections_visibility": "9"})
    assert bad.status_code == 400
    sam.refresh_from_db()
    assert sam.connections_visibility == ConnectionsVisibility.FOLLOWERS


def test_apps_hide_and_show_the_lists_with_hide_collections() -> None:
    ivy = make_user("ivy")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(ivy)}"}
    api = Client()
    hidden = api.patch(
        "/api/v1/accounts/update_credentials",
        "hide_collections=true",
        content_type="application/x-www-form-urlencoded",
        **headers,
    )
    assert hidden.status_code == 200, hidden.content
    assert hidden.json()["source"]["hide_collections"] is True
    ivy.refresh_from_db()
    assert ivy.connections_visibility == ConnectionsVisibility.ONLY_ME
    api.patch(
        "/api/v1/accounts/update_credentials",
        "hide_collections=false",
        content_type="application/x-www-form-urlencoded",
        **headers,
    )
    ivy.refresh_from_db()
    assert ivy.connections_visibility == ConnectionsVisibility.EVERYONE
