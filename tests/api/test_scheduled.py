"""Scheduled statuses: posting with `scheduled_at`, listing, moving and cancelling them, and the
job that publishes them when due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.api.conftest import ApiClient, api_as
from tests.factories import make_post, make_user, run_jobs
from tests.test_media_images import encoded, halves
from townsquare.accounts.models import User
from townsquare.media import actions as media_actions
from townsquare.media.models import MediaAttachment
from townsquare.posts import actions, tasks
from townsquare.posts.actions.scheduling import MAX_PER_DAY
from townsquare.posts.models import Post, ScheduledPost

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def later(minutes: int = 60) -> str:
    return (timezone.now() + timedelta(minutes=minutes)).isoformat()


def schedule(client: ApiClient, **data: Any) -> Any:
    return client.post("/api/v1/statuses", {"status": "Seed swap at noon", **data})


def make_due(scheduled_id: int) -> None:
    ScheduledPost.objects.filter(pk=scheduled_id).update(
        scheduled_at=timezone.now() - timedelta(seconds=1)
    )


def test_posting_with_scheduled_at_answers_a_scheduled_status(
    fern: User, fern_api: ApiClient
) -> None:
    response = schedule(fern_api, scheduled_at=later(), visibility="unlisted", spoiler_text="cw")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["params"]["text"] == "Seed swap at noon"
    assert body["params"]["visibility"] == "unlisted"
    assert body["params"]["spoiler_text"] == "cw"
    assert body["scheduled_at"].endswith("Z")
    assert not Post.objects.filter(author=fern).exists()
    assert fern_api.get(f"/api/v1/scheduled_statuses/{body['id']}").json()["id"] == body["id"]


def test_the_job_publishes_it_when_due(fern: User, fern_api: ApiClient) -> None:
    poll = {"options": ["Yes", "No"], "expires_in": 3600}
    scheduled_id = int(schedule(fern_api, scheduled_at=later(), poll=poll).json()["id"])
    run_jobs()  # not due yet: nothing happens
    assert not Post.objects.filter(author=fern).exists()
    make_due(scheduled_id)
    post_id = tasks.publish_scheduled_post.call(scheduled_id)
    post = Post.objects.get(pk=post_id)
    assert post.text == "Seed swap at noon" and post.poll.options.count() == 2
    assert not ScheduledPost.objects.exists()
    assert tasks.publish_scheduled_post.call(scheduled_id) is None  # a second run: nothing


def test_its_media_wait_for_it_and_go_out_with_it(fern: User, fern_api: ApiClient) -> None:
    data = encoded(halves((40, 30)))
    item = media_actions.upload(fern, SimpleUploadedFile("a.jpg", data, "image/jpeg"))
    body = schedule(fern_api, scheduled_at=later(), media_ids=[str(item.pk)]).json()
    assert [m["id"] for m in body["media_attachments"]] == [str(item.pk)]
    # The clean-up of abandoned uploads leaves it, and it cannot go into another post.
    MediaAttachment.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert media_actions.remove_orphans(timedelta(days=1)) == 0
    other = fern_api.post("/api/v1/statuses", {"status": "x", "media_ids": [str(item.pk)]})
    assert other.status_code == 422
    make_due(int(body["id"]))
    post = actions.publish_scheduled(int(body["id"]))
    assert post is not None
    assert MediaAttachment.objects.get(pk=item.pk).post_id == post.pk


def test_a_reply_whose_parent_is_gone_is_published_alone(fern: User, fern_api: ApiClient) -> None:
    parent = make_post(make_user("rook"), "Question")
    body = schedule(fern_api, scheduled_at=later(), in_reply_to_id=str(parent.pk)).json()
    assert body["params"]["in_reply_to_id"] == str(parent.pk)
    parent.delete()
    make_due(int(body["id"]))
    post = actions.publish_scheduled(int(body["id"]))
    assert post is not None and post.in_reply_to_id is None


def test_listing_moving_and_cancelling(fern: User, fern_api: ApiClient) -> None:
    first = schedule(fern_api, scheduled_at=later(30)).json()
    second = schedule(fern_api, scheduled_at=later(90)).json()
    listed = fern_api.get("/api/v1/scheduled_statuses", {"limit": 1})
    assert [s["id"] for s in listed.json()] == [second["id"]]
    assert "max_id" in listed["Link"]
    rest = fern_api.get("/api/v1/scheduled_statuses", {"max_id": second["id"]}).json()
    assert [s["id"] for s in rest] == [first["id"]]
    moved = fern_api.put(f"/api/v1/scheduled_statuses/{first['id']}", {"scheduled_at": later(600)})
    assert moved.status_code == 200
    assert moved.json()["scheduled_at"] > first["scheduled_at"]
    response = fern_api.delete(f"/api/v1/scheduled_statuses/{first['id']}")
    assert response.status_code == 200 and response.json() == {}
    assert [s["id"] for s in fern_api.get("/api/v1/scheduled_statuses").json()] == [second["id"]]


def test_moving_it_later_keeps_the_old_job_from_publishing(fern: User, fern_api: ApiClient) -> None:
    body = schedule(fern_api, scheduled_at=later(10)).json()
    fern_api.put(f"/api/v1/scheduled_statuses/{body['id']}", {"scheduled_at": later(120)})
    assert tasks.publish_scheduled_post.call(int(body["id"])) is None
    assert ScheduledPost.objects.filter(pk=int(body["id"])).exists()


@pytest.mark.parametrize("minutes", [-60, 0, 4])
def test_too_soon_is_refused(fern: User, fern_api: ApiClient, minutes: int) -> None:
    response = schedule(fern_api, scheduled_at=later(minutes))
    assert response.status_code == 422
    assert not ScheduledPost.objects.exists()
    body = schedule(fern_api, scheduled_at=later()).json()
    bad = fern_api.put(f"/api/v1/scheduled_statuses/{body['id']}", {"scheduled_at": later(minutes)})
    assert bad.status_code == 422


def test_bad_scheduled_input(fern: User, fern_api: ApiClient) -> None:
    assert schedule(fern_api, scheduled_at="soon").status_code == 422
    assert schedule(fern_api, scheduled_at=later(), status="").status_code == 422
    body = schedule(fern_api, scheduled_at=later()).json()
    url = f"/api/v1/scheduled_statuses/{body['id']}"
    assert fern_api.put(url, {}).status_code == 400
    assert fern_api.put(url, {"scheduled_at": "tomorrow-ish"}).status_code == 422


def test_a_member_may_schedule_25_a_day(fern: User, fern_api: ApiClient) -> None:
    when = timezone.now() + timedelta(days=2)
    for n in range(MAX_PER_DAY):
        ScheduledPost.objects.create(author=fern, scheduled_at=when, params={"text": str(n)})
    response = schedule(fern_api, scheduled_at=when.isoformat())
    assert response.status_code == 422


def test_scheduled_statuses_are_private_to_their_author(fern: User, fern_api: ApiClient) -> None:
    body = schedule(fern_api, scheduled_at=later()).json()
    url = f"/api/v1/scheduled_statuses/{body['id']}"
    rook = api_as(make_user("rook"))
    assert rook.get(url).status_code == 404
    assert rook.put(url, {"scheduled_at": later(200)}).status_code == 404
    assert rook.delete(url).status_code == 404
    assert rook.get("/api/v1/scheduled_statuses").json() == []
    assert ApiClient().get("/api/v1/scheduled_statuses").status_code == 401
    assert api_as(fern, "write").get("/api/v1/scheduled_statuses").status_code == 403
    assert api_as(fern, "read").delete(url).status_code == 403
    assert ScheduledPost.objects.filter(pk=int(body["id"])).exists()


def test_the_same_idempotency_key_schedules_once(fern: User, fern_api: ApiClient) -> None:
    when = later()
    first = fern_api.post(
        "/api/v1/statuses", {"status": "a", "scheduled_at": when}, HTTP_IDEMPOTENCY_KEY="s"
    )
    again = fern_api.post(
        "/api/v1/statuses", {"status": "a", "scheduled_at": when}, HTTP_IDEMPOTENCY_KEY="s"
    )
    assert first.json()["id"] == again.json()["id"]
    assert ScheduledPost.objects.count() == 1
