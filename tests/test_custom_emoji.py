"""Custom emoji: staff upload them (checked like any image), members write `:shortcode:` in
posts and see the image on the site; apps get the list and each status's `emojis`."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.api.conftest import ApiClient, api_as
from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user
from tests.stored import url_prefix
from townsquare.accounts.models import User
from townsquare.api.schemas.entities import CustomEmoji as CustomEmojiSchema
from townsquare.api.serializers.common import absolute
from townsquare.site import emoji
from townsquare.site.models import CustomEmoji

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> User:
    return make_user("hazel", role="admin")


def png(size: tuple[int, int] = (64, 64), colour: tuple[int, ...] = (60, 140, 60, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, "PNG")
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGBA", (200, 200), (40 * i, 120, 40, 255)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    return out.getvalue()


def upload(data: bytes, name: str = "tomato.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def add(shortcode: str, data: bytes | None = None, **options: object) -> CustomEmoji:
    return emoji.create_emoji(None, shortcode=shortcode, upload=upload(data or png()), **options)  # type: ignore[arg-type]


def _post_text(page: str) -> str:
    found = re.search(r'<div class="post-text">(.*?)</div>', page, re.S)
    assert found, page[:2000]
    return found.group(1)


# --- uploading --------------------------------------------------------------------------------


def test_staff_upload_an_emoji_from_the_page(admin: User) -> None:
    web = client_of(admin)
    assert "Add an emoji" in text_of(web.get("/admin/emoji"))
    added = web.post(
        "/admin/emoji",
        {"shortcode": "tomato", "image": upload(png((300, 200))), "category": "Garden",
         "visible_in_picker": "on"},
    )  # fmt: skip
    assert added.status_code == 302
    tomato = CustomEmoji.objects.get()
    assert (tomato.shortcode, tomato.category, tomato.visible_in_picker) == (
        "tomato",
        "Garden",
        True,
    )
    with default_storage.open(tomato.image) as stored:
        assert Image.open(stored).size == (128, 85)  # shrunk to fit 128x128, shape kept
    assert ":tomato:" in text_of(web.get("/admin/emoji"))


@pytest.mark.parametrize(
    ("shortcode", "data", "name", "message"),
    [
        pytest.param("tomato", b"not an image at all", "tomato.png", "not an image", id="not-image"),
        pytest.param("tomato", b"\x89PNG" + b"0" * (300 * 1024), "big.png", "too large", id="too-large"),
        pytest.param("to mato!", None, "tomato.png", "letters, digits or underscores", id="bad-code"),
        pytest.param("t", None, "tomato.png", "letters, digits or underscores", id="short-code"),
    ],
)  # fmt: skip
def test_bad_uploads_are_form_errors(
    admin: User, shortcode: str, data: bytes | None, name: str, message: str
) -> None:
    page = client_of(admin).post(
        "/admin/emoji", {"shortcode": shortcode, "image": upload(data or png(), name)}
    )
    assert page.status_code == 400
    assert message in text_of(page)
    assert not CustomEmoji.objects.exists()


def test_a_category_over_50_characters_is_refused_on_the_page_and_in_the_write_layer(
    admin: User,
) -> None:
    long = "Vegetables of the kitchen garden and the allotments by the river"
    assert len(long) > 50
    page = client_of(admin).post(
        "/admin/emoji", {"shortcode": "tomato", "image": upload(png()), "category": long}
    )
    assert page.status_code == 400 and "at most 50 characters" in text_of(page).lower()
    assert not CustomEmoji.objects.exists()
    tomato = add("tomato", category="Garden")
    with pytest.raises(ValidationError, match="At most 50 characters"):
        emoji.update_emoji(admin, tomato.pk, category=long, visible_in_picker=True, disabled=False)
    tomato.refresh_from_db()
    assert tomato.category == "Garden"


def test_a_jpeg_and_a_taken_shortcode_are_refused(admin: User) -> None:
    add("tomato")
    jpeg = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(jpeg, "JPEG")
    web = client_of(admin)
    refused = web.post("/admin/emoji", {"shortcode": "radish", "image": upload(jpeg.getvalue())})
    assert refused.status_code == 400 and "PNG, GIF or WebP" in text_of(refused)
    taken = web.post("/admin/emoji", {"shortcode": "Tomato", "image": upload(png())})
    assert taken.status_code == 400 and "already an emoji" in text_of(taken)
    assert list(CustomEmoji.objects.values_list("shortcode", flat=True)) == ["tomato"]


def test_an_animated_gif_stays_animated_with_a_still_for_apps() -> None:
    bee = add("bee", animated_gif())
    with default_storage.open(bee.image) as stored:
        moving = Image.open(stored)
        assert moving.format == "GIF" and moving.n_frames == 3 and moving.size == (128, 128)
    with default_storage.open(bee.static_image) as stored:
        still = Image.open(stored)
        assert still.format == "PNG" and getattr(still, "n_frames", 1) == 1


def test_only_staff_with_the_permission_manage_emoji(fern: User) -> None:
    tomato = add("tomato")
    moderator = make_user("sorrel", role="moderator")
    for outsider in (fern, moderator):
        web = client_of(outsider)
        assert web.get("/admin/emoji").status_code == 403
        assert (
            web.post("/admin/emoji", {"shortcode": "x1", "image": upload(png())}).status_code == 403
        )
        assert web.post(f"/admin/emoji/{tomato.pk}/delete").status_code == 403
    assert CustomEmoji.objects.count() == 1


def test_staff_disable_change_and_delete(
    admin: User, fern: User, django_capture_on_commit_callbacks: Any
) -> None:
    tomato = add("tomato", category="Garden")
    post = make_post(fern, "First :tomato: of the year")
    web = client_of(admin)
    changed = web.post(
        f"/admin/emoji/{tomato.pk}",
        {f"e{tomato.pk}-category": "Vegetables", f"e{tomato.pk}-disabled": "on"},
    )
    assert changed.status_code == 302
    tomato.refresh_from_db()
    assert (tomato.category, tomato.disabled, tomato.visible_in_picker) == (
        "Vegetables",
        True,
        False,
    )
    assert 'class="emoji"' not in _post_text(text_of(client_of(fern).get(f"/@fern/{post.pk}")))
    assert ApiClient().get("/api/v1/custom_emojis").json() == []
    with django_capture_on_commit_callbacks(execute=True):
        assert web.post(f"/admin/emoji/{tomato.pk}/delete").status_code == 302
    assert not CustomEmoji.objects.exists()
    assert not default_storage.exists(tomato.image)  # its files go once the deletion is done


# --- the API list -----------------------------------------------------------------------------


def test_api_lists_the_enabled_emoji() -> None:
    add("tomato", category="Garden")
    add("bee", animated_gif(), visible_in_picker=False)
    off = add("weed")
    emoji.update_emoji(None, off.pk, category="", visible_in_picker=True, disabled=True)
    listed = ApiClient().get("/api/v1/custom_emojis")
    assert listed.status_code == 200
    entities = listed.json()
    for entity in entities:
        CustomEmojiSchema.model_validate(entity)
    assert [(e["shortcode"], e["category"], e["visible_in_picker"]) for e in entities] == [
        ("bee", None, False),
        ("tomato", "Garden", True),
    ]
    bee = entities[0]
    assert bee["url"].startswith(absolute(f"{url_prefix()}emoji/")) and bee["url"].endswith(".gif")
    assert bee["static_url"].endswith(".png")


# --- in posts ---------------------------------------------------------------------------------


def test_a_shortcode_in_a_post_is_an_image_on_the_site_and_listed_for_apps(fern: User) -> None:
    tomato = add("tomato")
    post = make_post(fern, "First :tomato: of the year! :unknown_one: 12:30:00")
    text = _post_text(text_of(client_of(make_user("basil")).get(f"/@fern/{post.pk}")))
    url = default_storage.url(tomato.image)
    assert f'<img class="emoji" src="{absolute(url)}" alt=":tomato:" title=":tomato:"' in text
    assert ":unknown_one:" in text and "12:30:00" in text  # not an emoji: left as written
    status = api_as(fern).get(f"/api/v1/statuses/{post.pk}").json()
    assert status["emojis"] == [
        {"shortcode": "tomato", "url": absolute(url),
         "static_url": absolute(url), "visible_in_picker": True, "category": None}
    ]  # fmt: skip
    assert ":tomato:" in status["content"]  # apps draw it from `emojis`, as Mastodon's do


def test_never_replaced_inside_a_link(fern: User) -> None:
    add("tomato")
    post = make_post(fern, "Recipe https://example.org/:tomato:/soup and #tomato :tomato:")
    text = _post_text(text_of(client_of(fern).get(f"/@fern/{post.pk}")))
    assert 'href="https://example.org/:tomato:/soup"' in text
    links = re.findall(r"<a\b.*?</a>", text, re.S)
    assert links and all("<img" not in link for link in links)
    assert text.count('<img class="emoji"') == 1  # the one outside the link


def test_an_emoji_added_later_shows_in_posts_already_seen(fern: User) -> None:
    post = make_post(fern, "Sunflowers :sunflower: everywhere")
    web = client_of(fern)
    assert 'class="emoji"' not in _post_text(text_of(web.get(f"/@fern/{post.pk}")))
    api = api_as(fern)
    assert api.get(f"/api/v1/statuses/{post.pk}").json()["emojis"] == []
    add("sunflower")
    assert 'alt=":sunflower:"' in _post_text(text_of(web.get(f"/@fern/{post.pk}")))
    assert [e["shortcode"] for e in api.get(f"/api/v1/statuses/{post.pk}").json()["emojis"]] == [
        "sunflower"
    ]


def test_emojify_keeps_tags_and_links_whole() -> None:
    add("tomato")
    html = (
        '<p>:tomato: <a href="https://example.org/:tomato:" title=":tomato:">'
        ':tomato:</a> <span class="x">:tomato:</span>x:tomato:</p>'
    )
    out = emoji.emojify(html)
    assert out.count("<img") == 2  # the first one, and the one in the span; not glued to "x"
    assert '<a href="https://example.org/:tomato:" title=":tomato:">:tomato:</a>' in out
