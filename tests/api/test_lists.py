"""Lists: a member's own lists of people they follow, and each list's timeline."""

from __future__ import annotations

import pytest
from django.test import Client, TestCase

from tests.api.conftest import ApiClient, api_as
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.api.schemas.entities import Status
from townsquare.api.schemas.lists import List
from townsquare.graph import actions as graph_actions
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post, Visibility
from townsquare.realtime import bus

pytestmark = pytest.mark.django_db


def _make_list(client: ApiClient, title: str = "Allotment neighbours", **extra: object) -> str:
    response = client.post("/api/v1/lists", {"title": title, **extra})
    assert response.status_code == 200, response.content
    return str(response.json()["id"])


def test_create_read_update_delete(fern: User, fern_api: ApiClient) -> None:
    list_id = _make_list(fern_api, replies_policy="followed")
    body = fern_api.get(f"/api/v1/lists/{list_id}").json()
    assert body == {
        "id": list_id,
        "title": "Allotment neighbours",
        "replies_policy": "followed",
        "exclusive": False,
    }
    assert List.model_validate(body).model_dump() == body
    assert [x["id"] for x in fern_api.get("/api/v1/lists").json()] == [list_id]

    changed = fern_api.put(f"/api/v1/lists/{list_id}", {"title": "Seed swap", "exclusive": True})
    assert changed.status_code == 200
    assert changed.json()["title"] == "Seed swap"
    assert changed.json()["exclusive"] is True
    assert changed.json()["replies_policy"] == "followed"

    assert fern_api.delete(f"/api/v1/lists/{list_id}").json() == {}
    assert fern_api.get(f"/api/v1/lists/{list_id}").status_code == 404
    assert fern_api.get("/api/v1/lists").json() == []


def test_form_encoded_create(fern_api: ApiClient) -> None:
    response = fern_api.post("/api/v1/lists", {"title": "Chess club"}, form=True)
    assert response.status_code == 200
    assert response.json()["replies_policy"] == "list"


def test_bad_input(fern_api: ApiClient) -> None:
    assert fern_api.post("/api/v1/lists", {}).status_code == 400
    assert fern_api.post("/api/v1/lists", {"title": "   "}).status_code == 422
    bad_policy = fern_api.post("/api/v1/lists", {"title": "x", "replies_policy": "everyone"})
    assert bad_policy.status_code == 422
    assert "error" in bad_policy.json()
    assert fern_api.get("/api/v1/lists/not-a-number").status_code == 404
    assert fern_api.get("/api/v1/lists/99999999999999999999999").status_code == 404
    list_id = _make_list(fern_api)
    bad_ids = fern_api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": ["abc"]})
    assert bad_ids.status_code == 422
    huge = fern_api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [str(2**64)]})
    assert huge.status_code == 422
    assert fern_api.post(f"/api/v1/lists/{list_id}/accounts", {}).status_code == 400


def test_tokens_and_scopes(fern: User, anon: ApiClient) -> None:
    assert anon.get("/api/v1/lists").status_code == 401
    assert anon.post("/api/v1/lists", {"title": "x"}).status_code == 401
    reader = api_as(fern, "read:lists")
    assert reader.get("/api/v1/lists").status_code == 200
    assert reader.post("/api/v1/lists", {"title": "x"}).status_code == 403
    writer = api_as(fern, "write:lists")
    assert writer.get("/api/v1/lists").status_code == 403
    assert writer.post("/api/v1/lists", {"title": "x"}).status_code == 200
    assert api_as(fern, "read:statuses").get("/api/v1/timelines/list/1").status_code == 403


def test_only_the_owner_sees_a_list(fern: User, fern_api: ApiClient) -> None:
    list_id = _make_list(fern_api)
    other = api_as(make_user("rowan"))
    assert other.get(f"/api/v1/lists/{list_id}").status_code == 404
    assert other.put(f"/api/v1/lists/{list_id}", {"title": "mine"}).status_code == 404
    assert other.delete(f"/api/v1/lists/{list_id}").status_code == 404
    assert other.get(f"/api/v1/lists/{list_id}/accounts").status_code == 404
    assert other.get(f"/api/v1/timelines/list/{list_id}").status_code == 404
    assert other.get("/api/v1/lists").json() == []
    assert fern_api.get(f"/api/v1/lists/{list_id}").status_code == 200


def test_accounts_must_be_followed(fern: User, fern_api: ApiClient) -> None:
    ivy, moss, locked = make_user("ivy"), make_user("moss"), make_user("sage", locked=True)
    follow(fern, ivy)
    follow(fern, locked)  # a pending request is enough, as in Mastodon
    list_id = _make_list(fern_api)
    path = f"/api/v1/lists/{list_id}/accounts"

    assert fern_api.post(path, {"account_ids": [str(moss.pk)]}).status_code == 404
    assert fern_api.post(path, {"account_ids": ["123456789"]}).status_code == 404
    added = fern_api.post(path, {"account_ids": [str(ivy.pk), str(locked.pk)]})
    assert added.status_code == 200 and added.json() == {}
    again = fern_api.post(path, {"account_ids": [str(ivy.pk)]})
    assert again.status_code == 422
    assert again.json()["error"] == "Validation failed: Account has already been taken"

    listed = fern_api.get(path)
    assert {a["id"] for a in listed.json()} == {str(ivy.pk), str(locked.pk)}
    assert "Link" in listed
    assert len(fern_api.get(path, {"limit": 1}).json()) == 1
    assert len(fern_api.get(path, {"limit": 0}).json()) == 2

    lists_of_ivy = fern_api.get(f"/api/v1/accounts/{ivy.pk}/lists").json()
    assert [x["id"] for x in lists_of_ivy] == [list_id]
    assert fern_api.get(f"/api/v1/accounts/{moss.pk}/lists").json() == []
    assert fern_api.get("/api/v1/accounts/424242/lists").status_code == 404

    # Removing: form-encoded in the query string too, as some clients send DELETE.
    removed = fern_api.client.delete(
        f"{path}?account_ids[]={ivy.pk}", HTTP_AUTHORIZATION=f"Bearer {fern_api.token}"
    )
    assert removed.status_code == 200
    assert [a["id"] for a in fern_api.get(path).json()] == [str(locked.pk)]


def test_unfollowed_members_leave_the_list(fern: User, fern_api: ApiClient) -> None:
    ivy = make_user("ivy")
    follow(fern, ivy)
    list_id = _make_list(fern_api)
    fern_api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [str(ivy.pk)]})
    graph_actions.unfollow(fern, ivy)
    assert fern_api.get(f"/api/v1/lists/{list_id}/accounts").json() == []


def test_list_timeline(fern: User, fern_api: ApiClient) -> None:
    ivy, moss, rowan = make_user("ivy"), make_user("moss"), make_user("rowan")
    follow(fern, ivy)
    follow(fern, moss)
    follow(ivy, rowan)
    list_id = _make_list(fern_api)
    fern_api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [str(ivy.pk)]})

    first = make_post(ivy, "Broad beans are up.")
    private = make_post(ivy, "Followers only: the shed key is under the pot.", Visibility.FOLLOWERS)
    make_post(moss, "Not on the list.")
    reply_to_rowan = post_actions.create_post(
        ivy, text="Agreed!", in_reply_to=make_post(rowan, "Compost tips?")
    )
    reply_to_self = post_actions.create_post(ivy, text="And runner beans.", in_reply_to=first)

    response = fern_api.get(f"/api/v1/timelines/list/{list_id}")
    assert response.status_code == 200
    ids = [s["id"] for s in response.json()]
    # replies_policy "list": a reply to someone off the list is left out.
    assert ids == [str(reply_to_self.pk), str(private.pk), str(first.pk)]
    assert str(reply_to_rowan.pk) not in ids
    assert 'rel="next"' in response["Link"]
    for entity in response.json():
        Status.model_validate(entity)

    fern_api.put(f"/api/v1/lists/{list_id}", {"replies_policy": "none"})
    ids = [s["id"] for s in fern_api.get(f"/api/v1/timelines/list/{list_id}").json()]
    assert ids == [str(reply_to_self.pk), str(private.pk), str(first.pk)]

    page = fern_api.get(f"/api/v1/timelines/list/{list_id}", {"limit": 1, "max_id": private.pk})
    assert [s["id"] for s in page.json()] == [str(first.pk)]
    newer = fern_api.get(f"/api/v1/timelines/list/{list_id}", {"min_id": first.pk, "limit": 1})
    assert [s["id"] for s in newer.json()] == [str(private.pk)]


def test_list_timeline_does_not_leak_private_posts(fern: User, fern_api: ApiClient) -> None:
    """A member followed only by request (still pending) is on the list, but their
    followers-only and mentioned-only posts stay out of it."""
    sage = make_user("sage", locked=True)
    follow(fern, sage)
    list_id = _make_list(fern_api)
    fern_api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [str(sage.pk)]})
    make_post(sage, "Only for my followers.", Visibility.FOLLOWERS)
    assert fern_api.get(f"/api/v1/timelines/list/{list_id}").json() == []

    ivy, rowan = make_user("ivy"), make_user("rowan")
    follow(fern, ivy)
    fern_api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [str(ivy.pk)]})
    make_post(ivy, "@rowan the plot number is 12", Visibility.MENTIONED)
    assert rowan.pk
    assert fern_api.get(f"/api/v1/timelines/list/{list_id}").json() == []


# -- exclusive lists ---------------------------------------------------------------------------


def _home_ids(client: ApiClient) -> set[str]:
    run_jobs()
    return {s["id"] for s in client.get("/api/v1/timelines/home").json()}


def test_an_exclusive_lists_members_leave_home_and_stay_in_the_list(
    fern: User, fern_api: ApiClient
) -> None:
    ivy, sage = make_user("ivy"), make_user("sage")
    for other in (ivy, sage):
        follow(fern, other)
    run_jobs()
    ivy_post, sage_post = make_post(ivy, "Ivy's seedlings."), make_post(sage, "Sage's tea.")
    own = make_post(fern, "My own note.")
    exclusive = _make_list(fern_api, title="Plot 4", exclusive=True)
    fern_api.post(f"/api/v1/lists/{exclusive}/accounts", {"account_ids": [str(ivy.pk)]})
    inclusive = _make_list(fern_api, title="Tea friends")
    fern_api.post(f"/api/v1/lists/{inclusive}/accounts", {"account_ids": [str(sage.pk)]})

    home = _home_ids(fern_api)
    assert str(ivy_post.pk) not in home  # on an exclusive list: not in home
    assert {str(sage_post.pk), str(own.pk)} <= home  # an ordinary list changes nothing
    listed = {s["id"] for s in fern_api.get(f"/api/v1/timelines/list/{exclusive}").json()}
    assert str(ivy_post.pk) in listed
    # The web home page reads the same feed.
    web = Client()
    web.force_login(fern)
    page = web.get("/").content.decode()
    assert f"/@sage/{sage_post.pk}" in page
    assert f"/@ivy/{ivy_post.pk}" not in page

    fern_api.put(f"/api/v1/lists/{exclusive}", {"exclusive": False})
    assert str(ivy_post.pk) in _home_ids(fern_api)  # back at once, nothing lost


def test_an_exclusive_lists_members_posts_are_not_streamed_to_home(
    fern: User, fern_api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ivy = make_user("ivy")
    follow(fern, ivy)
    run_jobs()
    sent: list[tuple[str, tuple[str, ...]]] = []
    monkeypatch.setattr(
        bus, "publish", lambda event, payload, streams, **kw: sent.append((event, tuple(streams)))
    )
    exclusive = _make_list(fern_api, title="Plot 4", exclusive=True)
    fern_api.post(f"/api/v1/lists/{exclusive}/accounts", {"account_ids": [str(ivy.pk)]})
    with TestCase.captureOnCommitCallbacks(execute=True):
        make_post(ivy, "Quiet news.")
        run_jobs()
    home_updates = [s for event, s in sent if event == "update" and f"user:{fern.pk}" in s]
    assert home_updates == []
    quiet = Post.objects.filter(author=ivy).latest("id")
    with TestCase.captureOnCommitCallbacks(execute=True):
        post_actions.edit_post(ivy, quiet, text="Quiet news, corrected.")
    assert not [s for event, s in sent if event == "status.update" and f"user:{fern.pk}" in s]
    fern_api.put(f"/api/v1/lists/{exclusive}", {"exclusive": False})
    with TestCase.captureOnCommitCallbacks(execute=True):
        make_post(ivy, "Louder news.")
        run_jobs()
    assert [s for event, s in sent if event == "update" and f"user:{fern.pk}" in s]
