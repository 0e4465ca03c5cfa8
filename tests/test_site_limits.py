"""The site's limits, set by the operator from the dashboard: the longest post, the images a
post may carry and the largest uploads. The composer, the write layer, the API and what the
API tells apps all follow them; values out of bounds are refused naming the field; uploads
can only be made smaller than the server's configuration allows."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.api.conftest import ApiClient, api_as
from tests.conftest import client_of, text_of
from tests.factories import make_user
from tests.test_media_images import encoded, halves
from townsquare.accounts.models import User
from townsquare.media import actions as media_actions
from townsquare.posts.models import Post
from townsquare.site import actions as site_actions
from townsquare.site.limits import MB, current_limits, environment_limits
from townsquare.site.models import SiteSettings
from townsquare.web.limits_form import LimitsForm
from townsquare.web.views.common import apply_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def admin() -> User:
    return make_user("hazel", role="admin")


def photo(name: str = "plot.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, encoded(halves((90, 60))), content_type="image/jpeg")


def noisy_png(side: int = 300) -> bytes:
    """An image that does not compress: about 3 x side x side bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(3 * side * side)).save(out, "PNG")
    return out.getvalue()


def configuration() -> dict[str, Any]:
    return ApiClient().get("/api/v2/instance").json()["configuration"]


def test_without_the_operators_values_the_environment_sets_the_limits(settings: Any) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "MAX_POST_LENGTH": 777}
    assert current_limits() == environment_limits()
    assert current_limits().post_length == 777
    assert configuration()["statuses"]["max_characters"] == 777


def test_a_shorter_post_length_holds_on_the_web_and_in_the_api(admin: User, fern: User) -> None:
    site_actions.update_settings(admin, max_post_length=280)
    words = "Our tomatoes are finally ripening after weeks of rain. " * 6  # 330 characters
    browser = client_of(fern)
    assert 'maxlength="280"' in text_of(browser.get("/"))
    response = browser.post("/posts", {"text": words, "visibility": "0"})
    assert response.status_code == 400
    assert "Posts are at most 280 characters" in text_of(response)
    response = api_as(fern).post("/api/v1/statuses", {"status": words})
    assert response.status_code == 422 and "at most 280" in response.json()["error"]
    assert not Post.objects.exists()
    assert configuration()["statuses"]["max_characters"] == 280
    v1 = ApiClient().get("/api/v1/instance").json()["configuration"]["statuses"]
    assert v1["max_characters"] == 280
    assert api_as(fern).post("/api/v1/statuses", {"status": words[:280]}).status_code == 200


def test_fewer_images_per_post_hold_on_the_web_and_in_the_api(admin: User, fern: User) -> None:
    site_actions.update_settings(admin, max_media_per_post=2)
    page = text_of(client_of(fern).get("/"))
    assert 'name="media_1"' in page and 'name="media_2"' not in page
    assert "Up to 2 images" in page
    api = api_as(fern)
    ids = [api.post("/api/v2/media", {"file": photo()}, form=True).json()["id"] for _ in range(3)]
    response = api.post("/api/v1/statuses", {"status": "Three beds", "media_ids": ids})
    assert response.status_code == 422
    assert "at most 2 images" in response.json()["error"]
    assert configuration()["statuses"]["max_media_attachments"] == 2
    response = api.post("/api/v1/statuses", {"status": "Two beds", "media_ids": ids[:2]})
    assert response.status_code == 200
    # Back to the server's configuration: the composer offers its number again.
    site_actions.update_settings(admin, max_media_per_post=None)
    assert f'name="media_{environment_limits().media_per_post - 1}"' in text_of(
        client_of(fern).get("/")
    )


def test_a_smaller_image_limit_refuses_larger_uploads(admin: User, fern: User) -> None:
    site_actions.update_settings(admin, max_image_bytes=100 * 1024)
    big = noisy_png()
    assert len(big) > 100 * 1024
    with pytest.raises(ValidationError, match=r"too large \(the limit is 100 KB\)"):
        media_actions.upload(fern, SimpleUploadedFile("plot.png", big, content_type="image/png"))
    response = api_as(fern).post(
        "/api/v2/media",
        {"file": SimpleUploadedFile("plot.png", big, content_type="image/png")},
        form=True,
    )
    assert response.status_code == 422 and "too large" in response.json()["error"]
    media = configuration()["media_attachments"]
    assert media["image_size_limit"] == 100 * 1024
    assert media["video_size_limit"] == environment_limits().video_bytes


def test_a_smaller_video_limit_refuses_larger_videos_and_leaves_images_alone(
    admin: User, fern: User
) -> None:
    site_actions.update_settings(admin, max_video_bytes=MB)
    clip = b"\x00\x00\x00\x18ftypmp42" + bytes(MB)  # an MP4's header, then over 1 MB
    with pytest.raises(ValidationError, match=r"too large \(the limit is 1 MB\)"):
        media_actions.upload(fern, SimpleUploadedFile("match.mp4", clip, content_type="video/mp4"))
    response = api_as(fern).post(
        "/api/v2/media",
        {"file": SimpleUploadedFile("match.mp4", clip, content_type="video/mp4")},
        form=True,
    )
    assert response.status_code == 422 and "too large" in response.json()["error"]
    media = configuration()["media_attachments"]
    assert media["video_size_limit"] == MB
    assert media["image_size_limit"] == environment_limits().image_bytes
    assert media_actions.upload(fern, photo()).pk  # an image is not held to the video limit


def test_a_size_stored_above_a_lowered_environment_is_read_as_the_environment(
    settings: Any,
) -> None:
    SiteSettings.objects.update_or_create(pk=1, defaults={"max_image_bytes": 8 * MB})
    site_actions.update_settings(None, name="Allotment Society")  # forgets the cached row
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "MAX_UPLOAD_BYTES": 2 * MB}
    assert current_limits().image_bytes == 2 * MB


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_post_length", 0),
        ("max_post_length", 100_001),
        ("max_post_length", "lots"),
        ("max_media_per_post", 0),
        ("max_media_per_post", 21),
        ("max_image_bytes", 50 * 1024),
        ("max_image_bytes", "above"),
        ("max_video_bytes", 512 * 1024),
        ("max_video_bytes", "above"),
    ],
)
def test_a_value_out_of_bounds_is_refused_naming_its_field(
    admin: User, settings: Any, field: str, value: Any
) -> None:
    env = environment_limits()
    if value == "above":  # one byte more than the server accepts
        value = (env.image_bytes if field == "max_image_bytes" else env.video_bytes) + 1
    with pytest.raises(ValidationError) as refused:
        site_actions.update_settings(admin, **{field: value})
    assert list(refused.value.message_dict) == [field]
    assert getattr(SiteSettings.objects.filter(pk=1).first(), field, None) is None


def test_the_bounds_are_accepted_and_empty_means_the_environment(admin: User) -> None:
    env = environment_limits()
    row = site_actions.update_settings(
        admin,
        max_post_length="100000",
        max_media_per_post=20,
        max_image_bytes=env.image_bytes,
        max_video_bytes=1 * MB,
    )
    assert (row.max_post_length, row.max_media_per_post) == (100_000, 20)
    assert current_limits().video_bytes == 1 * MB
    row = site_actions.update_settings(admin, max_post_length="", max_video_bytes=None)
    assert row.max_post_length is None and row.max_video_bytes is None
    assert current_limits().post_length == env.post_length


def test_the_size_check_explains_the_servers_cap(admin: User) -> None:
    env = environment_limits()
    with pytest.raises(ValidationError) as refused:
        site_actions.update_settings(admin, max_video_bytes=env.video_bytes * 2)
    (message,) = refused.value.message_dict["max_video_bytes"]
    assert "TOWNSQUARE_MAX_VIDEO_BYTES" in message and "only the server" in message


def test_only_staff_who_manage_settings_change_the_limits(admin: User, fern: User) -> None:
    with pytest.raises(PermissionDenied):
        site_actions.update_settings(fern, max_post_length=100)
    moderator = make_user("mia", role="moderator")  # moderates, but does not run the site
    with pytest.raises(PermissionDenied):
        site_actions.update_settings(moderator, max_post_length=100)
    assert current_limits().post_length == environment_limits().post_length
    site_actions.update_settings(admin, max_post_length=100)
    assert current_limits().post_length == 100


def test_the_dashboard_form_works_in_megabytes(admin: User) -> None:
    form = LimitsForm(
        {
            "max_post_length": "500",
            "max_media_per_post": "",
            "max_image_bytes": "0.5",
            "max_video_bytes": "",
        }
    )
    assert form.is_valid(), form.errors
    assert form.changes() == {
        "max_post_length": 500,
        "max_media_per_post": None,
        "max_image_bytes": MB // 2,
        "max_video_bytes": None,
    }
    site_actions.update_settings(admin, **form.changes())
    initial = LimitsForm.initial_from_settings()
    assert initial["max_post_length"] == 500 and str(initial["max_image_bytes"]) == "0.5"
    assert initial["max_video_bytes"] is None
    assert "TOWNSQUARE_MAX_UPLOAD_BYTES" in str(LimitsForm().fields["max_image_bytes"].help_text)


def test_the_dashboard_form_shows_each_refusal_on_its_field(admin: User) -> None:
    too_big = environment_limits().image_bytes / MB + 1
    form = LimitsForm({"max_post_length": "0", "max_image_bytes": f"{too_big:.2f}"})
    assert form.is_valid(), form.errors
    with pytest.raises(ValidationError) as refused:
        site_actions.update_settings(admin, **form.changes())
    apply_errors(form, refused.value)
    assert set(form.errors) == {"max_post_length", "max_image_bytes"}
    assert "characters" in form.errors["max_post_length"][0]
