"""The relationships API: follow (with reblogs and notify), unfollow, block, mute, follow
requests, the Relationship entity, and the lists of followers, following, blocks and mutes."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.api.conftest import ApiClient, api_as
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.feeds.models import TimelineEntry
from townsquare.graph import actions as graph_actions
from townsquare.graph.models import Follow, FollowRequest, Mute
from townsquare.notifications.models import Notification
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture
def basil() -> User:
    return make_user("basil")


def _rel(client: ApiClient, *ids: int) -> list[dict[str, object]]:
    response = client.get("/api/v1/accounts/relationships", {"id[]": [str(i) for i in ids]})
    assert response.status_code == 200, response.content
    result: list[dict[str, object]] = response.json()
    return result


# --- follow / unfollow ---------------------------------------------------------------------


def test_follow_and_unfollow(fern: User, basil: User, fern_api: ApiClient) -> None:
    response = fern_api.post(f"/api/v1/accounts/{basil.pk}/follow")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(basil.pk)
    assert body["following"] is True
    assert body["showing_reblogs"] is True
    assert body["notifying"] is False
    assert body["requested"] is False
    assert body["domain_blocking"] is False and body["note"] == ""
    assert (
        api_as(basil)
        .get("/api/v1/accounts/relationships", {"id": fern.pk})
        .json()[0]["followed_by"]
    )
    again = fern_api.post(f"/api/v1/accounts/{basil.pk}/follow", {"notify": True})
    assert again.json()["notifying"] is True
    gone = fern_api.post(f"/api/v1/accounts/{basil.pk}/unfollow")
    assert gone.status_code == 200
    assert gone.json()["following"] is False
    assert not Follow.objects.filter(follower=fern, followee=basil).exists()


def test_follow_form_encoded_options(fern: User, basil: User, fern_api: ApiClient) -> None:
    response = fern_api.post(
        f"/api/v1/accounts/{basil.pk}/follow", {"reblogs": "false", "notify": "1"}, form=True
    )
    assert response.status_code == 200
    assert response.json()["showing_reblogs"] is False
    assert response.json()["notifying"] is True
    row = Follow.objects.get(follower=fern, followee=basil)
    assert row.show_reblogs is False and row.notify is True


def test_follow_locked_account_makes_a_request(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    basil.locked = True
    basil.save(update_fields=["locked"])
    body = fern_api.post(f"/api/v1/accounts/{basil.pk}/follow", {"reblogs": False}).json()
    assert body["following"] is False
    assert body["requested"] is True
    basil_api = api_as(basil)
    assert basil_api.get("/api/v1/accounts/relationships", {"id[]": fern.pk}).json()[0][
        "requested_by"
    ]
    requests = basil_api.get("/api/v1/follow_requests")
    assert [a["id"] for a in requests.json()] == [str(fern.pk)]
    assert "Link" in requests
    me = basil_api.get("/api/v1/accounts/verify_credentials").json()
    assert me["source"]["follow_requests_count"] == 1
    authorized = basil_api.post(f"/api/v1/follow_requests/{fern.pk}/authorize")
    assert authorized.status_code == 200
    assert authorized.json()["followed_by"] is True
    row = Follow.objects.get(follower=fern, followee=basil)
    assert row.show_reblogs is False  # the option asked for travels with the request
    assert basil_api.post(f"/api/v1/follow_requests/{fern.pk}/authorize").status_code == 404


def test_reject_follow_request(fern: User, basil: User) -> None:
    basil.locked = True
    basil.save(update_fields=["locked"])
    follow(fern, basil)
    basil_api = api_as(basil)
    rejected = basil_api.post(f"/api/v1/follow_requests/{fern.pk}/reject")
    assert rejected.status_code == 200
    assert rejected.json()["requested_by"] is False
    assert not FollowRequest.objects.exists()
    assert basil_api.post("/api/v1/follow_requests/not-an-id/reject").status_code == 404


def test_follow_requests_need_scope(fern: User, anon: ApiClient) -> None:
    assert anon.get("/api/v1/follow_requests").status_code == 401
    assert api_as(fern, "write").get("/api/v1/follow_requests").status_code == 403
    assert api_as(fern, "read").post("/api/v1/follow_requests/1/authorize").status_code == 403


def test_follow_errors(fern: User, basil: User, fern_api: ApiClient, anon: ApiClient) -> None:
    assert anon.post(f"/api/v1/accounts/{basil.pk}/follow").status_code == 401
    assert api_as(fern, "read").post(f"/api/v1/accounts/{basil.pk}/follow").status_code == 403
    assert fern_api.post("/api/v1/accounts/123/follow").status_code == 404
    assert fern_api.post(f"/api/v1/accounts/{fern.pk}/follow").status_code == 403
    bad = fern_api.post(f"/api/v1/accounts/{basil.pk}/follow", {"reblogs": "perhaps"})
    assert bad.status_code == 422
    graph_actions.block(basil, fern)
    assert fern_api.post(f"/api/v1/accounts/{basil.pk}/follow").status_code == 403
    assert not Follow.objects.exists()


def test_follow_scope_follow_is_enough(fern: User, basil: User) -> None:
    client = api_as(fern, "follow")
    assert client.post(f"/api/v1/accounts/{basil.pk}/follow").status_code == 200
    assert client.post(f"/api/v1/accounts/{basil.pk}/block").status_code == 200


# --- reblogs=false and notify=true reach the feeds and notifications -------------------------


def test_reblogs_false_keeps_their_shares_out_of_home(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    sage = make_user("sage")
    fern_api.post(f"/api/v1/accounts/{basil.pk}/follow", {"reblogs": False})
    run_jobs()
    original = make_post(sage, "Seed swap on Sunday.")
    share = post_actions.share(basil, original)
    own = make_post(basil, "My own news.")
    run_jobs()
    home = set(TimelineEntry.objects.filter(owner=fern).values_list("post_id", flat=True))
    assert own.pk in home
    assert share.pk not in home
    fern_api.post(f"/api/v1/accounts/{basil.pk}/follow", {"reblogs": True})
    another = post_actions.share(basil, make_post(sage, "Bulbs for free."))
    run_jobs()
    assert TimelineEntry.objects.filter(owner=fern, post=another).exists()


def test_notify_true_gives_status_notifications(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    fern_api.post(f"/api/v1/accounts/{basil.pk}/follow", {"notify": True})
    run_jobs()
    sage = make_user("sage")
    post = make_post(basil, "Tournament results are up.")
    thread = post_actions.create_post(basil, text="Part two of the results.", in_reply_to=post)
    post_actions.create_post(basil, text="Well played!", in_reply_to=make_post(sage, "Won!"))
    post_actions.share(basil, make_post(sage, "A share."))
    make_post(basil, "Only for @sage", Visibility.MENTIONED)
    run_jobs()
    notes = Notification.objects.filter(recipient=fern, kind="status")
    assert sorted(notes.values_list("post_id", flat=True)) == sorted([post.pk, thread.pk])
    run_jobs()  # nothing doubles on a rerun
    assert notes.count() == 2


# --- block / mute --------------------------------------------------------------------------


def test_block_and_unblock(fern: User, basil: User, fern_api: ApiClient) -> None:
    follow(fern, basil)
    follow(basil, fern)
    body = fern_api.post(f"/api/v1/accounts/{basil.pk}/block").json()
    assert body["blocking"] is True
    assert body["following"] is False and body["followed_by"] is False
    assert _rel(api_as(basil), fern.pk)[0]["blocked_by"] is True
    blocks = fern_api.get("/api/v1/blocks")
    assert [a["id"] for a in blocks.json()] == [str(basil.pk)]
    assert fern_api.post(f"/api/v1/accounts/{basil.pk}/unblock").json()["blocking"] is False
    assert fern_api.get("/api/v1/blocks").json() == []


def test_block_and_mute_scopes(fern: User, basil: User) -> None:
    follows_only = api_as(fern, "write:follows")
    assert follows_only.post(f"/api/v1/accounts/{basil.pk}/block").status_code == 403
    assert follows_only.post(f"/api/v1/accounts/{basil.pk}/mute").status_code == 403
    assert api_as(fern, "read:follows").get("/api/v1/blocks").status_code == 403
    assert api_as(fern, "read:blocks").get("/api/v1/mutes").status_code == 403
    assert api_as(fern, "read:mutes").get("/api/v1/mutes").status_code == 200


def test_mute_with_options(fern: User, basil: User, fern_api: ApiClient) -> None:
    body = fern_api.post(
        f"/api/v1/accounts/{basil.pk}/mute", {"notifications": False, "duration": 3600}
    ).json()
    assert body["muting"] is True
    assert body["muting_notifications"] is False
    row = Mute.objects.get(muter=fern, muted=basil)
    assert row.expires_at is not None
    muted = fern_api.get("/api/v1/mutes").json()
    assert [a["id"] for a in muted] == [str(basil.pk)]
    ends = datetime.fromisoformat(muted[0]["mute_expires_at"].replace("Z", "+00:00"))
    assert abs((ends - row.expires_at).total_seconds()) < 0.001
    forever = fern_api.post(f"/api/v1/accounts/{basil.pk}/mute", {"duration": 0}).json()
    assert forever["muting_notifications"] is True
    assert Mute.objects.get(muter=fern, muted=basil).expires_at is None
    assert fern_api.get("/api/v1/mutes").json()[0]["mute_expires_at"] is None
    assert fern_api.post(f"/api/v1/accounts/{basil.pk}/unmute").json()["muting"] is False
    assert fern_api.get("/api/v1/mutes").json() == []


@pytest.mark.parametrize("duration", ["-5", "soon", "30"])
def test_mute_bad_duration(fern: User, basil: User, fern_api: ApiClient, duration: str) -> None:
    response = fern_api.post(f"/api/v1/accounts/{basil.pk}/mute", {"duration": duration})
    assert response.status_code == 422
    assert not Mute.objects.exists()


def test_remove_from_followers(fern: User, basil: User, fern_api: ApiClient) -> None:
    follow(basil, fern)
    body = fern_api.post(f"/api/v1/accounts/{basil.pk}/remove_from_followers").json()
    assert body["followed_by"] is False
    assert not Follow.objects.exists()


# --- relationships -------------------------------------------------------------------------


def test_relationships_for_many_in_order(fern: User, basil: User, fern_api: ApiClient) -> None:
    sage = make_user("sage")
    rook = make_user("rook")
    follow(fern, basil)
    follow(sage, fern)
    graph_actions.mute(fern, rook)
    found = _rel(fern_api, rook.pk, basil.pk, sage.pk, 424242, fern.pk)
    assert [r["id"] for r in found] == [str(rook.pk), str(basil.pk), str(sage.pk), str(fern.pk)]
    by_id = {r["id"]: r for r in found}
    assert by_id[str(basil.pk)]["following"] is True
    assert by_id[str(sage.pk)]["followed_by"] is True
    assert by_id[str(rook.pk)]["muting"] is True
    assert by_id[str(rook.pk)]["muting_notifications"] is True
    assert by_id[str(fern.pk)]["following"] is False


def test_relationships_input(fern: User, fern_api: ApiClient, anon: ApiClient) -> None:
    assert fern_api.get("/api/v1/accounts/relationships").json() == []
    assert fern_api.get("/api/v1/accounts/relationships", {"id[]": ["x", "-1"]}).json() == []
    assert anon.get("/api/v1/accounts/relationships", {"id": "1"}).status_code == 401
    reader = api_as(fern, "read:accounts")
    assert reader.get("/api/v1/accounts/relationships", {"id": "1"}).status_code == 403


def test_relationships_query_count(
    fern: User, fern_api: ApiClient, django_assert_max_num_queries: object
) -> None:
    others = [make_user(f"player{n}") for n in range(6)]
    for other in others[:3]:
        follow(fern, other)
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        found = _rel(fern_api, *(o.pk for o in others))
    assert sum(1 for r in found if r["following"]) == 3


def test_familiar_followers(fern: User, basil: User, fern_api: ApiClient) -> None:
    sage = make_user("sage")
    follow(fern, basil)
    follow(basil, sage)
    response = fern_api.get("/api/v1/accounts/familiar_followers", {"id[]": [sage.pk]})
    assert response.status_code == 200
    entry = response.json()[0]
    assert entry["id"] == str(sage.pk)
    assert [a["id"] for a in entry["accounts"]] == [str(basil.pk)]


# --- followers / following -----------------------------------------------------------------


def test_followers_and_following_pages(fern: User, anon: ApiClient) -> None:
    members = [make_user(f"chess{n}") for n in range(5)]
    for member in members:
        follow(member, fern)
        follow(fern, member)
    url = f"/api/v1/accounts/{fern.pk}/followers"
    first = anon.get(url, {"limit": 2})
    assert first.status_code == 200
    assert [a["id"] for a in first.json()] == [str(members[4].pk), str(members[3].pk)]
    rows = list(Follow.objects.filter(followee=fern).order_by("-id").values_list("id", flat=True))
    assert f"max_id={rows[1]}" in first["Link"]
    second = anon.get(url, {"limit": 2, "max_id": rows[1]}).json()
    assert [a["id"] for a in second] == [str(members[2].pk), str(members[1].pk)]
    back = anon.get(url, {"limit": 2, "min_id": rows[3]}).json()
    assert [a["id"] for a in back] == [str(members[3].pk), str(members[2].pk)]
    following = anon.get(f"/api/v1/accounts/{fern.pk}/following").json()
    assert len(following) == 5
    members[0].is_active = False
    members[0].save(update_fields=["is_active"])
    assert len(anon.get(url).json()) == 4


def test_follow_lists_hidden_from_someone_blocked(fern: User, basil: User) -> None:
    follow(make_user("sage"), fern)
    graph_actions.block(fern, basil)
    client = api_as(basil)
    assert client.get(f"/api/v1/accounts/{fern.pk}/followers").json() == []
    assert client.get(f"/api/v1/accounts/{fern.pk}/following").json() == []


def test_follow_lists_errors(fern: User, anon: ApiClient) -> None:
    assert anon.get("/api/v1/accounts/77/followers").status_code == 404
    assert anon.get(f"/api/v1/accounts/{fern.pk}/following", {"limit": "x"}).status_code == 422
    assert api_as(fern, "write").get(f"/api/v1/accounts/{fern.pk}/followers").status_code == 403


# --- featured accounts (endorsements) and private notes -------------------------------------


def test_feature_a_followed_account_and_stop(fern: User, basil: User, fern_api: ApiClient) -> None:
    follow(fern, basil)
    featured = fern_api.post(f"/api/v1/accounts/{basil.pk}/pin")
    assert featured.status_code == 200, featured.content
    assert featured.json()["endorsed"] is True
    assert fern_api.post(f"/api/v1/accounts/{basil.pk}/pin").status_code == 200  # again: same
    listed = fern_api.get("/api/v1/endorsements")
    assert [a["id"] for a in listed.json()] == [str(basil.pk)]
    assert _rel(api_as(basil), fern.pk)[0]["endorsed"] is False  # it is fern's, not basil's
    gone = fern_api.post(f"/api/v1/accounts/{basil.pk}/unpin")
    assert gone.status_code == 200
    assert gone.json()["endorsed"] is False
    assert fern_api.get("/api/v1/endorsements").json() == []


def test_endorse_and_unendorse_are_the_same_as_pin_and_unpin(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    follow(fern, basil)
    assert fern_api.post(f"/api/v1/accounts/{basil.pk}/endorse").json()["endorsed"] is True
    assert fern_api.post(f"/api/v1/accounts/{basil.pk}/unendorse").json()["endorsed"] is False
    assert fern_api.get("/api/v1/endorsements").json() == []


def test_anyone_sees_whom_a_member_features_except_members_blocked_either_way(
    fern: User, basil: User, anon: ApiClient
) -> None:
    sage, kit = make_user("sage"), make_user("kit")
    for other in (basil, sage):
        follow(fern, other)
        graph_actions.endorse(fern, other)
    url = f"/api/v1/accounts/{fern.pk}/endorsements"
    assert [a["id"] for a in anon.get(url).json()] == [str(sage.pk), str(basil.pk)]
    graph_actions.block(kit, sage)
    assert [a["id"] for a in api_as(kit).get(url).json()] == [str(basil.pk)]
    graph_actions.block(fern, kit)
    assert api_as(kit).get(url).json() == []
    assert anon.get("/api/v1/accounts/77/endorsements").status_code == 404


def test_only_someone_followed_can_be_featured(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    refused = fern_api.post(f"/api/v1/accounts/{basil.pk}/pin")
    assert refused.status_code == 422
    assert "follow" in refused.json()["error"]
    assert fern_api.post("/api/v1/accounts/77/pin").status_code == 404
    assert fern_api.post(f"/api/v1/accounts/{fern.pk}/pin").json()["endorsed"] is False


def test_unfollowing_or_a_block_ends_featuring(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    sage = make_user("sage")
    for other in (basil, sage):
        follow(fern, other)
        graph_actions.endorse(fern, other)
    fern_api.post(f"/api/v1/accounts/{basil.pk}/unfollow")
    graph_actions.block(sage, fern)
    assert fern_api.get("/api/v1/endorsements").json() == []
    assert [r["endorsed"] for r in _rel(fern_api, basil.pk, sage.pk)] == [False, False]


def test_endorsements_page_with_links_and_without_inactive_members(
    fern: User, fern_api: ApiClient, anon: ApiClient
) -> None:
    members = [make_user(f"grower{n}") for n in range(4)]
    for member in members:
        follow(fern, member)
        graph_actions.endorse(fern, member)
    members[0].is_active = False
    members[0].save(update_fields=["is_active"])
    first = fern_api.get("/api/v1/endorsements", {"limit": 2})
    assert [a["id"] for a in first.json()] == [str(members[3].pk), str(members[2].pk)]
    assert 'rel="next"' in first.headers["Link"]
    max_id = re.search(r"max_id=(\d+)[^>]*>; rel=\"next\"", first.headers["Link"])
    assert max_id is not None
    rest = fern_api.get("/api/v1/endorsements", {"limit": 2, "max_id": max_id.group(1)})
    assert [a["id"] for a in rest.json()] == [str(members[1].pk)]
    assert anon.get("/api/v1/endorsements").status_code == 401
    assert api_as(fern, "write").get("/api/v1/endorsements").status_code == 403


def test_a_private_note_is_seen_by_its_author_only(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    noted = fern_api.post(
        f"/api/v1/accounts/{basil.pk}/note",
        {"comment": "  Swapped tomato seeds in May  "},
        form=True,
    )
    assert noted.status_code == 200, noted.content
    assert noted.json()["note"] == "Swapped tomato seeds in May"
    assert _rel(fern_api, basil.pk)[0]["note"] == "Swapped tomato seeds in May"
    assert _rel(api_as(basil), fern.pk)[0]["note"] == ""
    assert _rel(api_as(make_user("sage")), basil.pk)[0]["note"] == ""
    changed = fern_api.post(f"/api/v1/accounts/{basil.pk}/note", {"comment": "Has spare rhubarb"})
    assert changed.json()["note"] == "Has spare rhubarb"
    cleared = fern_api.post(f"/api/v1/accounts/{basil.pk}/note")  # no comment: removed
    assert cleared.status_code == 200
    assert cleared.json()["note"] == ""


def test_a_note_is_counted_after_trimming(fern: User, basil: User, fern_api: ApiClient) -> None:
    padded = fern_api.post(f"/api/v1/accounts/{basil.pk}/note", {"comment": "x" * 2000 + "  "})
    assert padded.status_code == 200, padded.content
    assert padded.json()["note"] == "x" * 2000


def test_note_errors(fern: User, basil: User, fern_api: ApiClient) -> None:
    too_long = fern_api.post(f"/api/v1/accounts/{basil.pk}/note", {"comment": "x" * 2001})
    assert too_long.status_code == 422
    assert "error" in too_long.json()
    assert fern_api.post("/api/v1/accounts/77/note", {"comment": "hi"}).status_code == 404
    assert api_as(fern, "read").post(f"/api/v1/accounts/{basil.pk}/note").status_code == 403
    assert _rel(fern_api, basil.pk)[0]["note"] == ""


def test_responses_match_the_documented_entities(
    fern: User, basil: User, fern_api: ApiClient
) -> None:
    from pydantic import TypeAdapter

    from townsquare.api.schemas.accounts import FamiliarFollowers
    from townsquare.api.schemas.entities import Account, Relationship

    follow(fern, basil)
    follow(basil, fern)
    TypeAdapter(Relationship).validate_python(
        fern_api.post(f"/api/v1/accounts/{basil.pk}/follow").json()
    )
    TypeAdapter(list[Relationship]).validate_python(_rel(fern_api, basil.pk))
    TypeAdapter(list[Account]).validate_python(
        fern_api.get(f"/api/v1/accounts/{fern.pk}/followers").json()
    )
    TypeAdapter(list[FamiliarFollowers]).validate_python(
        fern_api.get("/api/v1/accounts/familiar_followers", {"id[]": [basil.pk]}).json()
    )
