"""The statuses API: posting (Idempotency-Key, replies, polls, media, visibility), reading one
or several, deleting for redraft, editing with history and source, and threads."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import ApiClient, api_as, make_app, make_token
from tests.factories import follow, make_post, make_user
from tests.test_media_images import encoded, halves
from townsquare.accounts.models import User
from townsquare.api import idempotency
from townsquare.api.models import IdempotentRequest
from townsquare.graph import actions as graph_actions
from townsquare.media import actions as media_actions
from townsquare.media.models import MediaAttachment
from townsquare.posts import actions
from townsquare.posts.models import Post, PostEdit, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def picture(owner: User, description: str = "") -> MediaAttachment:
    data = encoded(halves((80, 60)))
    item = media_actions.upload(
        owner, SimpleUploadedFile("bed.jpg", data, "image/jpeg"), description=description
    )
    return media_actions.process_now(item)


def hidden_posts(author: User) -> dict[str, Post]:
    """A followers-only and a mentioned-only post nobody else was given."""
    return {
        "private": make_post(author, "Seed swap for followers", Visibility.FOLLOWERS),
        "direct": make_post(author, "Just for me", Visibility.MENTIONED),
    }


# Posting


def test_posting_a_status_answers_with_the_status(fern: User, fern_api: ApiClient) -> None:
    response = fern_api.post(
        "/api/v1/statuses",
        {"status": "Tulips are up #spring", "spoiler_text": "flowers", "visibility": "unlisted"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["content"].startswith("<p>Tulips are up")
    assert body["visibility"] == "unlisted"
    assert body["spoiler_text"] == "flowers" and body["sensitive"] is True
    assert body["account"]["username"] == "fern"
    assert body["tags"][0]["name"] == "spring"
    assert body["favourited"] is False and body["pinned"] is False
    post = Post.objects.get(pk=int(body["id"]))
    assert post.visibility == Visibility.UNLISTED


def test_posting_with_a_form_body(fern: User, fern_api: ApiClient) -> None:
    response = fern_api.post(
        "/api/v1/statuses", {"status": "From a form", "visibility": "private"}, form=True
    )
    assert response.status_code == 200
    assert response.json()["visibility"] == "private"


@pytest.mark.parametrize(
    ("name", "level"),
    [("public", 0), ("unlisted", 1), ("private", 2), ("direct", 3)],
)
def test_every_visibility_maps_to_a_level(
    fern: User, fern_api: ApiClient, name: str, level: int
) -> None:
    body = fern_api.post("/api/v1/statuses", {"status": "Hello", "visibility": name}).json()
    assert body["visibility"] == name
    assert Post.objects.get(pk=int(body["id"])).visibility == level


def test_the_members_default_visibility_is_used_when_none_is_given(
    fern: User, fern_api: ApiClient
) -> None:
    assert fern_api.post("/api/v1/statuses", {"status": "a"}).json()["visibility"] == "public"
    User.objects.filter(pk=fern.pk).update(default_visibility=2)
    assert fern_api.post("/api/v1/statuses", {"status": "b"}).json()["visibility"] == "private"


def test_a_reply_answers_the_post(fern: User, fern_api: ApiClient) -> None:
    rook = make_user("rook")
    parent = make_post(rook, "Who has spare canes?")
    body = fern_api.post(
        "/api/v1/statuses", {"status": "@rook I do", "in_reply_to_id": str(parent.pk)}
    ).json()
    assert body["in_reply_to_id"] == str(parent.pk)
    assert body["in_reply_to_account_id"] == str(rook.pk)
    parent.refresh_from_db()
    assert parent.replies_count == 1


def test_a_reply_to_a_post_one_cannot_see_is_a_404(fern: User, fern_api: ApiClient) -> None:
    rook = make_user("rook")
    for post in hidden_posts(rook).values():
        response = fern_api.post(
            "/api/v1/statuses", {"status": "sneaky", "in_reply_to_id": str(post.pk)}
        )
        assert response.status_code == 404
        assert "error" in response.json()
    assert (
        fern_api.post(
            "/api/v1/statuses", {"status": "x", "in_reply_to_id": "not-a-number"}
        ).status_code
        == 404
    )
    assert not Post.objects.filter(author=fern).exists()


def test_a_quote(fern: User, fern_api: ApiClient) -> None:
    rook = make_user("rook")
    quoted = make_post(rook, "Compost tips inside")
    body = fern_api.post(
        "/api/v1/statuses", {"status": "Worth reading", "quote_id": str(quoted.pk)}
    ).json()
    assert body["quote"]["id"] == str(quoted.pk)
    private = make_post(rook, "hidden", Visibility.FOLLOWERS)
    response = fern_api.post("/api/v1/statuses", {"status": "x", "quote_id": str(private.pk)})
    assert response.status_code == 404


def test_a_status_with_a_poll(fern: User, fern_api: ApiClient) -> None:
    response = fern_api.post(
        "/api/v1/statuses",
        {
            "status": "Best bean?",
            "poll": {"options": ["Runner", "Broad"], "expires_in": 3600, "multiple": True},
        },
    )
    assert response.status_code == 200, response.content
    poll = response.json()["poll"]
    assert [o["title"] for o in poll["options"]] == ["Runner", "Broad"]
    assert poll["multiple"] is True and poll["expired"] is False


def test_a_poll_sent_as_a_form(fern: User, fern_api: ApiClient) -> None:
    response = fern_api.post(
        "/api/v1/statuses",
        {"status": "Pick", "poll[options][]": ["A", "B", "C"], "poll[expires_in]": "600"},
        form=True,
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["poll"]["options"]) == 3


def test_a_status_with_media(fern: User, fern_api: ApiClient) -> None:
    first, second = picture(fern, "Left bed"), picture(fern)
    body = fern_api.post(
        "/api/v1/statuses",
        {"status": "Beds", "media_ids": [str(second.pk), str(first.pk)]},
    ).json()
    assert [m["id"] for m in body["media_attachments"]] == [str(second.pk), str(first.pk)]
    assert body["media_attachments"][1]["description"] == "Left bed"
    assert body["media_attachments"][0]["url"].startswith("http")


def test_media_alone_needs_no_text(fern: User, fern_api: ApiClient) -> None:
    item = picture(fern)
    response = fern_api.post("/api/v1/statuses", {"media_ids[]": str(item.pk)}, form=True)
    assert response.status_code == 200, response.content


def test_someone_elses_upload_cannot_be_posted(fern: User, fern_api: ApiClient) -> None:
    theirs = picture(make_user("rook"))
    response = fern_api.post("/api/v1/statuses", {"status": "x", "media_ids": [str(theirs.pk)]})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({}, 422),  # no text, no media
        ({"status": "   "}, 422),
        ({"status": "x" * 5001}, 422),
        ({"status": "x", "visibility": "friends"}, 422),
        ({"status": "x", "media_ids": ["abc"]}, 422),
        ({"status": "x", "poll": {"options": ["only one"], "expires_in": 3600}}, 422),
        ({"status": "x", "poll": {"options": ["a", "b"], "expires_in": 10}}, 422),
        ({"status": "x", "poll": {"options": ["a", "b"]}}, 400),
        ({"status": "x", "poll": "yes"}, 422),
        ({"status": "x", "sensitive": "perhaps"}, 422),
        ({"status": "x", "scheduled_at": "next tuesday"}, 422),
    ],
)
def test_bad_statuses_are_refused(
    fern: User, fern_api: ApiClient, data: dict[str, Any], status: int
) -> None:
    response = fern_api.post("/api/v1/statuses", data)
    assert response.status_code == status, response.content
    assert "error" in response.json()
    assert not Post.objects.exists()


def test_a_poll_and_media_together_are_refused(fern: User, fern_api: ApiClient) -> None:
    item = picture(fern)
    response = fern_api.post(
        "/api/v1/statuses",
        {
            "status": "x",
            "media_ids": [str(item.pk)],
            "poll": {"options": ["a", "b"], "expires_in": 3600},
        },
    )
    assert response.status_code == 422


def test_a_malformed_json_body_is_a_400(fern: User, fern_api: ApiClient) -> None:
    response = fern_api.client.post(
        "/api/v1/statuses",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {fern_api.token}",
    )
    assert response.status_code == 400


def test_posting_needs_a_token_with_write_statuses(fern: User, anon: ApiClient) -> None:
    assert anon.post("/api/v1/statuses", {"status": "x"}).status_code == 401
    assert api_as(fern, "read").post("/api/v1/statuses", {"status": "x"}).status_code == 403
    write_only = api_as(fern, "write:statuses")
    assert write_only.post("/api/v1/statuses", {"status": "x"}).status_code == 200
    app_token = ApiClient(make_token(None))
    assert app_token.post("/api/v1/statuses", {"status": "x"}).status_code == 422


def test_the_same_idempotency_key_posts_once(fern: User, fern_api: ApiClient) -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": "draft-42"}
    first = fern_api.post("/api/v1/statuses", {"status": "Once only"}, **headers)
    again = fern_api.post("/api/v1/statuses", {"status": "Once only"}, **headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Post.objects.filter(author=fern).count() == 1
    other = fern_api.post("/api/v1/statuses", {"status": "Once only"}, HTTP_IDEMPOTENCY_KEY="b")
    assert other.json()["id"] != first.json()["id"]


def test_idempotency_keys_are_per_member(fern: User, fern_api: ApiClient) -> None:
    rook = make_user("rook")
    mine = fern_api.post("/api/v1/statuses", {"status": "a"}, HTTP_IDEMPOTENCY_KEY="k")
    theirs = api_as(rook).post("/api/v1/statuses", {"status": "b"}, HTTP_IDEMPOTENCY_KEY="k")
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["account"]["username"] == "rook"


def test_a_failed_request_does_not_spend_its_key(fern: User, fern_api: ApiClient) -> None:
    bad = fern_api.post("/api/v1/statuses", {"status": ""}, HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 422
    good = fern_api.post("/api/v1/statuses", {"status": "now"}, HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 200


def test_a_key_whose_status_was_deleted_posts_again(fern: User, fern_api: ApiClient) -> None:
    first = fern_api.post("/api/v1/statuses", {"status": "a"}, HTTP_IDEMPOTENCY_KEY="k").json()
    fern_api.delete(f"/api/v1/statuses/{first['id']}")
    again = fern_api.post("/api/v1/statuses", {"status": "a"}, HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 200 and again.json()["id"] != first["id"]


def test_old_idempotency_keys_are_swept(fern: User, fern_api: ApiClient) -> None:
    from datetime import timedelta

    from django.utils import timezone

    fern_api.post("/api/v1/statuses", {"status": "a"}, HTTP_IDEMPOTENCY_KEY="old")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(days=2))
    fern_api.post("/api/v1/statuses", {"status": "b"}, HTTP_IDEMPOTENCY_KEY="new")
    assert idempotency.sweep() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]
    # An expired key makes a new status.
    third = fern_api.post("/api/v1/statuses", {"status": "a"}, HTTP_IDEMPOTENCY_KEY="new")
    assert Post.objects.filter(pk=int(third.json()["id"])).exists()


def test_the_sweep_is_a_janitor_chore() -> None:
    from townsquare.core import jobs

    assert any(name == "api-idempotency-keys" for name, _, _ in jobs._CHORES)


def test_the_posting_app_is_shown_to_the_author_only(fern: User) -> None:
    app = make_app("Allotment app")
    app.mastodon.website = "https://allotment.example"
    app.mastodon.save()
    client = ApiClient(make_token(fern, app=app))
    body = client.post("/api/v1/statuses", {"status": "From my phone"}).json()
    assert body["application"] == {"name": "Allotment app", "website": "https://allotment.example"}
    assert client.get(f"/api/v1/statuses/{body['id']}").json()["application"]["name"] == (
        "Allotment app"
    )
    other = api_as(make_user("rook")).get(f"/api/v1/statuses/{body['id']}").json()
    assert other["application"] is None
    assert ApiClient().get(f"/api/v1/statuses/{body['id']}").json()["application"] is None


# Reading


def test_anyone_reads_a_public_status(fern: User, anon: ApiClient) -> None:
    post = make_post(fern, "Open garden day")
    body = anon.get(f"/api/v1/statuses/{post.pk}").json()
    assert body["id"] == str(post.pk)
    assert "favourited" not in body


def test_hidden_statuses_are_404_to_others(fern: User, anon: ApiClient) -> None:
    rook = make_user("rook")
    rook_api = api_as(rook)
    for post in hidden_posts(fern).values():
        assert anon.get(f"/api/v1/statuses/{post.pk}").status_code == 404
        assert rook_api.get(f"/api/v1/statuses/{post.pk}").status_code == 404
        assert api_as(fern).get(f"/api/v1/statuses/{post.pk}").status_code == 200
    follow(rook, fern)
    posts = hidden_posts(fern)
    assert rook_api.get(f"/api/v1/statuses/{posts['private'].pk}").status_code == 200
    assert rook_api.get(f"/api/v1/statuses/{posts['direct'].pk}").status_code == 404


def test_a_mentioned_member_reads_a_direct_status(fern: User) -> None:
    rook = make_user("rook")
    post = make_post(fern, "@rook the key is under the pot", Visibility.MENTIONED)
    assert api_as(rook).get(f"/api/v1/statuses/{post.pk}").json()["visibility"] == "direct"


def test_a_bad_or_missing_id_is_a_404(fern_api: ApiClient) -> None:
    for raw in ("12345", "abc", "9" * 30):
        assert fern_api.get(f"/api/v1/statuses/{raw}").status_code == 404


def test_reading_needs_read_statuses(fern: User) -> None:
    post = make_post(fern)
    assert api_as(fern, "write").get(f"/api/v1/statuses/{post.pk}").status_code == 403
    assert api_as(fern, "read:statuses").get(f"/api/v1/statuses/{post.pk}").status_code == 200
    bad = ApiClient("not-a-token").get(f"/api/v1/statuses/{post.pk}")
    assert bad.status_code == 401


def test_several_statuses_at_once(fern: User, anon: ApiClient) -> None:
    a, b = make_post(fern, "a"), make_post(fern, "b")
    hidden = make_post(fern, "c", Visibility.FOLLOWERS)
    response = anon.get(
        "/api/v1/statuses", {"id[]": [str(b.pk), "nope", str(hidden.pk), str(a.pk)]}
    )
    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == [str(b.pk), str(a.pk)]
    assert anon.get("/api/v1/statuses").json() == []


def test_a_reblog_is_read_with_its_original(fern: User) -> None:
    rook = make_user("rook")
    original = make_post(rook, "Frost tonight")
    shared = actions.share(fern, original)
    body = ApiClient().get(f"/api/v1/statuses/{shared.pk}").json()
    assert body["reblog"]["id"] == str(original.pk)
    assert body["account"]["username"] == "fern"


# Deleting


def test_deleting_answers_with_the_source_for_redrafting(fern: User, fern_api: ApiClient) -> None:
    post = make_post(fern, "Typo in thsi post")
    response = fern_api.delete(f"/api/v1/statuses/{post.pk}")
    assert response.status_code == 200
    assert response.json()["text"] == "Typo in thsi post"
    assert not Post.objects.filter(pk=post.pk).exists()
    assert fern_api.delete(f"/api/v1/statuses/{post.pk}").status_code == 404


def test_only_the_author_deletes(fern: User) -> None:
    post = make_post(fern, "Mine")
    rook = api_as(make_user("rook"))
    assert rook.delete(f"/api/v1/statuses/{post.pk}").status_code == 404
    assert api_as(fern, "read").delete(f"/api/v1/statuses/{post.pk}").status_code == 403
    assert ApiClient().delete(f"/api/v1/statuses/{post.pk}").status_code == 401
    assert Post.objects.filter(pk=post.pk).exists()


# Editing


def test_editing_text_keeps_the_history(fern: User, fern_api: ApiClient) -> None:
    post = make_post(fern, "Meeting at 7")
    response = fern_api.put(
        f"/api/v1/statuses/{post.pk}", {"status": "Meeting at 8", "spoiler_text": "club"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert "Meeting at 8" in body["content"] and body["edited_at"] is not None
    assert body["spoiler_text"] == "club" and body["sensitive"] is True
    history = fern_api.get(f"/api/v1/statuses/{post.pk}/history").json()
    assert [("7" in h["content"], h["spoiler_text"]) for h in history] == [
        (True, ""),
        (False, "club"),
    ]
    assert history[0]["account"]["username"] == "fern"
    source = fern_api.get(f"/api/v1/statuses/{post.pk}/source").json()
    assert source == {"id": str(post.pk), "text": "Meeting at 8", "spoiler_text": "club"}


def test_an_unedited_status_has_one_version(fern: User, anon: ApiClient) -> None:
    post = make_post(fern, "Just once")
    history = anon.get(f"/api/v1/statuses/{post.pk}/history").json()
    assert len(history) == 1 and "Just once" in history[0]["content"]


def test_text_and_warning_stay_when_not_sent(fern: User, fern_api: ApiClient) -> None:
    post = actions.create_post(fern, text="Keep me", spoiler_text="cw")
    item = picture(fern)
    body = fern_api.put(f"/api/v1/statuses/{post.pk}", {"media_ids": [str(item.pk)]}).json()
    assert "Keep me" in body["content"] and body["spoiler_text"] == "cw"
    assert [m["id"] for m in body["media_attachments"]] == [str(item.pk)]


def test_editing_media_and_alt_text(fern: User, fern_api: ApiClient) -> None:
    first, second = picture(fern, "old"), picture(fern)
    post = actions.create_post(fern, text="Beds", media_ids=[first.pk])
    body = fern_api.put(
        f"/api/v1/statuses/{post.pk}",
        {
            "status": "Beds, two now",
            "media_ids": [str(second.pk), str(first.pk)],
            "media_attributes": [{"id": str(first.pk), "description": "Raised bed"}],
        },
    ).json()
    assert [m["id"] for m in body["media_attachments"]] == [str(second.pk), str(first.pk)]
    assert body["media_attachments"][1]["description"] == "Raised bed"
    history = fern_api.get(f"/api/v1/statuses/{post.pk}/history").json()
    assert [len(h["media_attachments"]) for h in history] == [1, 2]
    # Media not sent are removed, as in Mastodon.
    body = fern_api.put(f"/api/v1/statuses/{post.pk}", {"status": "No photos"}).json()
    assert body["media_attachments"] == []
    assert not MediaAttachment.objects.filter(pk__in=[first.pk, second.pk]).exists()


def test_editing_the_poll_starts_the_votes_again(fern: User, fern_api: ApiClient) -> None:
    from townsquare.polls import actions as poll_actions

    post = actions.create_post(
        fern, text="Bean?", poll=actions.PollSpec(options=["Runner", "Broad"], expires_in=3600)
    )
    rook = make_user("rook")
    poll_actions.vote(rook, post.poll.pk, [0])
    same = {"options": ["Runner", "Broad"], "expires_in": 3600}
    body = fern_api.put(f"/api/v1/statuses/{post.pk}", {"status": "Bean??", "poll": same}).json()
    assert body["poll"]["votes_count"] == 1  # same options: votes kept
    changed = {"options": ["Runner", "French"], "expires_in": 3600}
    body = fern_api.put(f"/api/v1/statuses/{post.pk}", {"status": "Bean?", "poll": changed}).json()
    assert [o["title"] for o in body["poll"]["options"]] == ["Runner", "French"]
    assert body["poll"]["votes_count"] == 0
    history = fern_api.get(f"/api/v1/statuses/{post.pk}/history").json()
    assert history[-1]["poll"] == {"options": [{"title": "Runner"}, {"title": "French"}]}
    body = fern_api.put(f"/api/v1/statuses/{post.pk}", {"status": "No poll"}).json()
    assert body["poll"] is None


def test_only_the_author_edits(fern: User) -> None:
    post = make_post(fern, "Mine")
    rook = api_as(make_user("rook"))
    assert rook.put(f"/api/v1/statuses/{post.pk}", {"status": "hijack"}).status_code == 404
    assert api_as(fern, "read").put(f"/api/v1/statuses/{post.pk}", {"status": "x"}).status_code == (
        403
    )
    assert ApiClient().put(f"/api/v1/statuses/{post.pk}", {"status": "x"}).status_code == 401
    post.refresh_from_db()
    assert post.text == "Mine" and not PostEdit.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"status": ""},
        {"status": "x" * 5001},
        {"status": "x", "media_ids": ["nope"]},
        {"status": "x", "media_attributes": [{"description": "no id"}]},
        {"status": "x", "poll": {"options": ["a"], "expires_in": 3600}},
    ],
)
def test_bad_edits_are_refused(fern: User, fern_api: ApiClient, data: dict[str, Any]) -> None:
    post = make_post(fern, "Steady")
    response = fern_api.put(f"/api/v1/statuses/{post.pk}", data)
    assert response.status_code in (400, 422), response.content
    post.refresh_from_db()
    assert post.text == "Steady"


def test_history_and_source_of_hidden_statuses_are_404(fern: User) -> None:
    rook = api_as(make_user("rook"))
    for post in hidden_posts(fern).values():
        assert rook.get(f"/api/v1/statuses/{post.pk}/history").status_code == 404
        assert rook.get(f"/api/v1/statuses/{post.pk}/source").status_code == 404
        assert ApiClient().get(f"/api/v1/statuses/{post.pk}/history").status_code == 404


def test_source_needs_a_token(fern: User, anon: ApiClient) -> None:
    post = make_post(fern)
    assert anon.get(f"/api/v1/statuses/{post.pk}/source").status_code == 401
    assert api_as(fern, "write").get(f"/api/v1/statuses/{post.pk}/source").status_code == 403


# Threads


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [int(item["id"]) for item in items]


def test_context_lists_ancestors_and_descendants(fern: User, anon: ApiClient) -> None:
    rook, wren = make_user("rook"), make_user("wren")
    root = make_post(fern, "Where to buy seeds?")
    reply = actions.create_post(rook, text="The market", in_reply_to=root)
    deeper = actions.create_post(fern, text="Which day?", in_reply_to=reply)
    deepest = actions.create_post(rook, text="Saturday", in_reply_to=deeper)
    other = actions.create_post(wren, text="Online too", in_reply_to=root)
    body = anon.get(f"/api/v1/statuses/{deeper.pk}/context").json()
    assert _ids(body["ancestors"]) == [root.pk, reply.pk]
    assert _ids(body["descendants"]) == [deepest.pk]
    body = anon.get(f"/api/v1/statuses/{root.pk}/context").json()
    assert body["ancestors"] == []
    assert _ids(body["descendants"]) == [reply.pk, deeper.pk, deepest.pk, other.pk]


def test_context_leaves_out_what_the_viewer_may_not_see(fern: User) -> None:
    rook, wren, finch = make_user("rook"), make_user("wren"), make_user("finch")
    root = make_post(fern, "Plot inspection on Sunday")
    hidden = actions.create_post(rook, text="Private answer", in_reply_to=root, visibility=2)
    under_hidden = actions.create_post(fern, text="ok", in_reply_to=hidden)
    muted_reply = actions.create_post(wren, text="I'll bring tea", in_reply_to=root)
    blocked_reply = actions.create_post(finch, text="Me too", in_reply_to=root)
    viewer = make_user("heron")
    graph_actions.mute(viewer, wren)
    graph_actions.block(viewer, finch)
    body = api_as(viewer).get(f"/api/v1/statuses/{root.pk}/context").json()
    assert body["descendants"] == []
    anon_ids = _ids(ApiClient().get(f"/api/v1/statuses/{root.pk}/context").json()["descendants"])
    assert anon_ids == [muted_reply.pk, blocked_reply.pk]
    assert hidden.pk not in anon_ids and under_hidden.pk not in anon_ids


def test_context_of_a_hidden_status_is_404(fern: User) -> None:
    rook = api_as(make_user("rook"))
    for post in hidden_posts(fern).values():
        assert rook.get(f"/api/v1/statuses/{post.pk}/context").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_the_same_moment_post_once() -> None:
    import threading

    from django.db import connection

    fern = make_user("fern")
    start = threading.Barrier(2)
    made: list[int] = []

    def send() -> None:
        try:
            start.wait(timeout=10)
            made.append(
                idempotency.once(fern, "same", lambda: actions.create_post(fern, text="Once").pk)[0]
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(made) == 2 and made[0] == made[1]
    assert Post.objects.filter(author=fern).count() == 1


def test_answers_match_their_documented_models(fern: User, fern_api: ApiClient) -> None:
    from townsquare.api.schemas.entities import Context, Status
    from townsquare.api.schemas.statuses import ScheduledStatus, StatusEdit, StatusSource

    item = picture(fern, "Bed")
    body = fern_api.post(
        "/api/v1/statuses", {"status": "Checked", "media_ids": [str(item.pk)]}
    ).json()
    Status.model_validate(body)
    fern_api.put(f"/api/v1/statuses/{body['id']}", {"status": "Checked again"})
    for version in fern_api.get(f"/api/v1/statuses/{body['id']}/history").json():
        StatusEdit.model_validate(version)
    StatusSource.model_validate(fern_api.get(f"/api/v1/statuses/{body['id']}/source").json())
    Context.model_validate(fern_api.get(f"/api/v1/statuses/{body['id']}/context").json())
    from datetime import timedelta

    from django.utils import timezone

    when = (timezone.now() + timedelta(hours=2)).isoformat()
    poll = {"options": ["a", "b"], "expires_in": 600}
    scheduled = fern_api.post(
        "/api/v1/statuses", {"status": "Later", "scheduled_at": when, "poll": poll}
    ).json()
    ScheduledStatus.model_validate(scheduled)
