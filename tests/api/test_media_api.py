"""Media through the API: uploads (v2: 200 when processed at once, 202 while a job works on it;
v1: always processed first), reading and describing one's own uploads."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import ApiClient, api_as
from tests.factories import make_user
from tests.test_media_images import encoded, halves
from townsquare.accounts.models import User
from townsquare.media import actions as media_actions
from townsquare.media.models import Kind, MediaAttachment, Status
from townsquare.posts import actions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def jpeg(name: str = "bed.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, encoded(halves((120, 80))), "image/jpeg")


def upload(client: ApiClient, path: str = "/api/v2/media", **fields: Any) -> Any:
    return client.post(path, {"file": jpeg(), **fields}, form=True)


def test_an_image_upload_is_ready_at_once(fern: User, fern_api: ApiClient) -> None:
    response = upload(fern_api, description="Raised bed", focus="0.5,-0.25")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "image"
    assert body["url"].startswith("http") and body["preview_url"].startswith("http")
    assert body["description"] == "Raised bed"
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert body["meta"]["original"]["width"] == 120
    item = MediaAttachment.objects.get(pk=int(body["id"]))
    assert item.owner == fern and item.status == Status.READY


def test_the_old_upload_path_answers_200(fern: User, fern_api: ApiClient) -> None:
    response = upload(fern_api, "/api/v1/media")
    assert response.status_code == 200
    assert response.json()["url"]


def test_a_video_is_processed_later(
    fern: User, fern_api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_upload(owner: User, file: Any, **kwargs: Any) -> MediaAttachment:
        return MediaAttachment.objects.create(owner=owner, kind=Kind.VIDEO, token="ab" * 12)

    monkeypatch.setattr(media_actions, "upload", fake_upload)
    response = upload(fern_api)
    assert response.status_code == 202
    body = response.json()
    assert body["type"] == "video" and body["url"] is None
    # Still processing: 206; once ready: 200 with its URL.
    assert fern_api.get(f"/api/v1/media/{body['id']}").status_code == 206
    MediaAttachment.objects.filter(pk=int(body["id"])).update(
        status=Status.READY, file_path="media/clip.mp4", width=64, height=48
    )
    ready = fern_api.get(f"/api/v1/media/{body['id']}")
    assert ready.status_code == 200 and ready.json()["url"].endswith("clip.mp4")


def test_a_failed_upload_reads_as_422(fern: User, fern_api: ApiClient) -> None:
    item = MediaAttachment.objects.create(
        owner=fern, kind=Kind.VIDEO, token="cd" * 12, status=Status.FAILED, error="Too long."
    )
    response = fern_api.get(f"/api/v1/media/{item.pk}")
    assert response.status_code == 422 and "Too long." in response.json()["error"]


@pytest.mark.parametrize(
    "data",
    [
        {},  # no file
        {"file": "not a file"},
        {"file": SimpleUploadedFile("notes.txt", b"just some text", "text/plain")},
        {"file": jpeg(), "focus": "left"},
        {"file": jpeg(), "focus": "3,3"},
        {"file": jpeg(), "description": "d" * 1501},
    ],
)
def test_bad_uploads_are_refused(fern: User, fern_api: ApiClient, data: dict[str, Any]) -> None:
    response = fern_api.post("/api/v2/media", data, form=True)
    assert response.status_code in (400, 422), response.content
    assert "error" in response.json()
    assert not MediaAttachment.objects.exists()


def test_uploading_needs_write_media(fern: User) -> None:
    assert upload(ApiClient()).status_code == 401
    assert upload(api_as(fern, "read write:statuses")).status_code == 403
    assert upload(api_as(fern, "write:media")).status_code == 200


def test_describing_an_upload(fern: User, fern_api: ApiClient) -> None:
    media_id = upload(fern_api, description="old").json()["id"]
    response = fern_api.put(f"/api/v1/media/{media_id}", {"focus": "0.1,0.2"})
    assert response.status_code == 200
    assert response.json()["description"] == "old"  # not sent: kept
    assert response.json()["meta"]["focus"] == {"x": 0.1, "y": 0.2}
    body = fern_api.put(f"/api/v1/media/{media_id}", {"description": "Seedlings"}).json()
    assert body["description"] == "Seedlings"
    body = fern_api.put(f"/api/v1/media/{media_id}", {"description": ""}).json()
    assert body["description"] is None
    bad = fern_api.put(f"/api/v1/media/{media_id}", {"focus": "north"})
    assert bad.status_code == 422


def test_only_the_owner_reads_or_describes_an_upload(fern: User, fern_api: ApiClient) -> None:
    media_id = upload(fern_api).json()["id"]
    rook = api_as(make_user("rook"))
    assert rook.get(f"/api/v1/media/{media_id}").status_code == 404
    assert rook.put(f"/api/v1/media/{media_id}", {"description": "mine"}).status_code == 404
    assert ApiClient().get(f"/api/v1/media/{media_id}").status_code == 401
    assert api_as(fern, "read").get(f"/api/v1/media/{media_id}").status_code == 403
    assert fern_api.get("/api/v1/media/999").status_code == 404
    assert fern_api.get("/api/v1/media/abc").status_code == 404


def test_a_posted_upload_is_described_through_an_edit(fern: User, fern_api: ApiClient) -> None:
    media_id = upload(fern_api).json()["id"]
    actions.create_post(fern, text="Posted", media_ids=[int(media_id)])
    assert fern_api.get(f"/api/v1/media/{media_id}").status_code == 200
    assert fern_api.put(f"/api/v1/media/{media_id}", {"description": "x"}).status_code == 404
