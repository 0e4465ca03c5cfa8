"""Friends mode (the operator's switch, off by default): every connection is a friend request
that the other must accept, a friendship is a follow each way, and "Friends" is the level of
posts for friends only. The same rules through the site and the Mastodon API."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import make_token
from tests.conftest import text_of
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.graph import actions as graph
from townsquare.graph.models import Follow, FollowRequest
from townsquare.notifications.models import Notification
from townsquare.posts.models import Visibility
from townsquare.site import actions as site_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def friends_mode() -> None:
    site_actions.set_feature("friends_mode", enabled=True)


def _as(member: User) -> Client:
    client = Client()
    client.force_login(member)
    return client


def _follows(*pairs: tuple[User, User]) -> list[bool]:
    return [Follow.objects.filter(follower=a, followee=b).exists() for a, b in pairs]


def test_the_site_is_follow_based_until_the_operator_switches() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    assert "Add friend" not in text_of(_as(ana).get("/@sam"))
    assert follow(ana, sam) == graph.FOLLOWING
    assert _follows((ana, sam), (sam, ana)) == [True, False]
    assert _as(ana).get("/@sam/friends").status_code == 404


@pytest.mark.usefixtures("friends_mode")
def test_a_friend_request_accepted_makes_a_mutual_friendship() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    ana_web, sam_web = _as(ana), _as(sam)
    assert "Add friend" in text_of(ana_web.get("/@sam"))
    ana_web.post("/@sam/follow")
    assert _follows((ana, sam), (sam, ana)) == [False, False]  # nothing until sam agrees
    assert "Cancel friend request" in text_of(ana_web.get("/@sam"))
    note = Notification.objects.get(recipient=sam)
    assert "sent you a friend request" in text_of(sam_web.get("/notifications"))
    assert note.actor_id == ana.pk
    page = text_of(sam_web.get("/follow-requests"))
    assert "Friend requests" in page and "@ana" in page
    request = FollowRequest.objects.get(follower=ana, followee=sam)
    sam_web.post(f"/follow-requests/{request.pk}/approve")
    assert _follows((ana, sam), (sam, ana)) == [True, True]
    for web, other, me in ((ana_web, "sam", "ana"), (sam_web, "ana", "sam")):
        profile = text_of(web.get(f"/@{other}"))
        assert "Friends ✓" in profile and "Unfriend" in profile
        assert "<strong>1</strong> friend<" in profile
        assert f'class="handle">@{me}<' in text_of(web.get(f"/@{other}/friends"))


@pytest.mark.usefixtures("friends_mode")
def test_adding_someone_who_asked_first_accepts_their_request() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    assert graph.follow(ana, sam) == graph.REQUESTED
    assert "Accept friend request" in text_of(_as(sam).get("/@ana"))
    assert graph.follow(sam, ana) == graph.FOLLOWING
    assert _follows((ana, sam), (sam, ana)) == [True, True]
    assert not FollowRequest.objects.exists()


@pytest.mark.usefixtures("friends_mode")
def test_friends_posts_reach_friends_only_and_unfriending_ends_both_sides() -> None:
    ana, sam, kit = make_user("ana"), make_user("sam"), make_user("kit")
    graph.follow(ana, sam)
    graph.follow(sam, ana)
    composer = text_of(_as(sam).get("/"))
    assert '<option value="2">Friends</option>' in composer
    post = make_post(sam, "Friends-only: the key is under the blue pot", Visibility.FOLLOWERS)
    run_jobs()
    assert "the key is under the blue pot" in text_of(_as(ana).get("/"))
    assert _as(kit).get(f"/@sam/{post.pk}").status_code == 404
    _as(ana).post("/@sam/unfollow")
    assert _follows((ana, sam), (sam, ana)) == [False, False]
    assert _as(ana).get(f"/@sam/{post.pk}").status_code == 404


@pytest.mark.usefixtures("friends_mode")
def test_declining_and_unlocking_never_make_friends_by_themselves() -> None:
    ana, sam = make_user("ana"), make_user("sam", locked=True)
    graph.follow(ana, sam)
    account_actions.update_profile(sam, locked=False)
    assert FollowRequest.objects.filter(follower=ana, followee=sam).exists()
    request = FollowRequest.objects.get(follower=ana, followee=sam)
    graph.reject_request(sam, request.pk)
    assert _follows((ana, sam), (sam, ana)) == [False, False]


@pytest.mark.usefixtures("friends_mode")
def test_follows_made_before_the_switch_are_kept() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    site_actions.set_feature("friends_mode", enabled=False)
    follow(ana, sam)
    site_actions.set_feature("friends_mode", enabled=True)
    assert _follows((ana, sam)) == [True]
    assert "Stop following" in text_of(_as(ana).get("/@sam"))


@pytest.mark.usefixtures("friends_mode")
def test_mastodon_apps_see_friend_requests_as_follow_requests() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    api = Client()
    ana_auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token(ana)}"}
    sam_auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token(sam)}"}
    asked = api.post(f"/api/v1/accounts/{sam.pk}/follow", **ana_auth).json()
    assert asked["requested"] is True and asked["following"] is False
    pending = api.get("/api/v1/follow_requests", **sam_auth).json()
    assert [a["username"] for a in pending] == ["ana"]
    accepted = api.post(f"/api/v1/follow_requests/{ana.pk}/authorize", **sam_auth).json()
    assert accepted["followed_by"] is True and accepted["following"] is True
    assert _follows((ana, sam), (sam, ana)) == [True, True]


@pytest.mark.usefixtures("friends_mode")
def test_only_the_other_side_is_told_of_a_new_friendship() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    graph.follow(ana, sam)  # ana asks
    graph.follow(sam, ana)  # sam accepts by adding her back
    told = set(Notification.objects.filter(kind="follow").values_list("recipient_id", flat=True))
    assert told == {ana.pk}
    kit, lee = make_user("kit"), make_user("lee")
    graph.follow(kit, lee)
    graph.approve_request(lee, FollowRequest.objects.get(follower=kit).pk)
    told = set(
        Notification.objects.filter(kind="follow", recipient__in=[kit, lee]).values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {kit.pk}


@pytest.mark.usefixtures("friends_mode")
def test_unfriending_through_the_api_ends_both_sides() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    graph.follow(ana, sam)
    graph.follow(sam, ana)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token(sam)}"}
    gone = Client().post(f"/api/v1/accounts/{ana.pk}/unfollow", **auth).json()
    assert gone["following"] is False and gone["followed_by"] is False
    assert _follows((ana, sam), (sam, ana)) == [False, False]


@pytest.mark.usefixtures("friends_mode")
def test_switching_friends_mode_off_turns_waiting_requests_into_follows() -> None:
    ana, sam, lou = make_user("ana"), make_user("sam"), make_user("lou", locked=True)
    graph.follow(ana, sam)
    graph.follow(ana, lou)
    site_actions.set_feature("friends_mode", enabled=False)
    assert _follows((ana, sam), (sam, ana)) == [True, False]
    # lou approves followers anyway: the request waits for lou, as on any follow-based site.
    assert FollowRequest.objects.filter(follower=ana, followee=lou).exists()


def _befriend(one: User, other: User) -> None:
    graph.follow(one, other)  # a friend request...
    graph.follow(other, one)  # ...accepted


@pytest.mark.parametrize(
    ("choice", "friend_sees", "stranger_sees"),
    [(0, True, True), (1, True, False), (2, False, False)],
)
def test_members_choose_who_sees_their_friends_list(
    friends_mode: None, choice: int, friend_sees: bool, stranger_sees: bool
) -> None:
    ana, basil, cleo, dora = (make_user(n) for n in ("ana", "basil", "cleo", "dora"))
    _befriend(ana, basil)
    _befriend(ana, cleo)
    web = _as(ana)
    page = text_of(web.get("/settings/privacy"))
    assert "Who can see my friends list" in page
    saved = web.post(
        "/settings/privacy",
        {"message_policy": "1", "connections_visibility": "0", "friends_visibility": str(choice),
         "show_posts_to_visitors": "on"},
    )  # fmt: skip
    assert saved.status_code == 302
    ana.refresh_from_db()
    assert ana.friends_visibility == choice
    for viewer, sees in ((basil, friend_sees), (dora, stranger_sees), (ana, True)):
        listing = text_of(_as(viewer).get("/@ana/friends"))
        assert ("@cleo" in listing) is sees, viewer.username
    bad = web.post(
        "/settings/privacy",
        {"message_policy": "1", "connections_visibility": "0", "friends_visibility": "7"},
    )
    assert bad.status_code == 400


def test_the_friends_list_choice_is_offered_in_friends_mode_only() -> None:
    ana = make_user("ana")
    assert "Who can see my friends list" not in text_of(_as(ana).get("/settings/privacy"))
    saved = _as(ana).post(
        "/settings/privacy", {"message_policy": "1", "connections_visibility": "1"}
    )
    assert saved.status_code == 302
    ana.refresh_from_db()
    assert ana.connections_visibility == 1 and ana.friends_visibility == 0
