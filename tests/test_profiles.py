"""Editing a profile through /settings/profile: names, bio, fields, "approve followers", and
avatar and header uploads (decoded, size-checked, EXIF stripped, resized)."""

from __future__ import annotations

import io
import os
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from PIL import ExifTags, Image

from tests.conftest import text_of
from tests.factories import make_user
from tests.stored import fetched, stored_names
from townsquare.accounts import actions
from townsquare.accounts.models import User
from townsquare.graph.models import Follow, FollowRequest
from townsquare.media import images

pytestmark = pytest.mark.django_db

RED, BLUE, GREEN = (220, 20, 30), (20, 40, 220), (46, 139, 87)


# --- helpers -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Uploaded files go to a folder of this test's own."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def save_profile(client: Client, **data: object) -> HttpResponse:
    """Send the profile form as a browser does (unchecked boxes are simply absent)."""
    return client.post("/settings/profile", {"display_name": "", "bio": "", **data})


def picture(
    size: tuple[int, int] = (800, 600),
    fmt: str = "PNG",
    mode: str = "RGB",
    color: tuple[int, ...] = GREEN,
    **save_args: object,
) -> bytes:
    image = Image.new(mode, size, color)
    out = io.BytesIO()
    image.save(out, fmt, **save_args)
    return out.getvalue()


def upload(data: bytes, name: str = "garden.png", content_type: str = "image/png") -> object:
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims a huge picture (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + chunk(b"IEND", b"")
    )


def served(client: Client, path: str) -> bytes:
    """The stored file, fetched the way browsers get it (through its media URL: from
    Townsquare, or from the bucket with TOWNSQUARE_TEST_S3=1)."""
    status, body = fetched(client, path)
    assert status == 200, default_storage.url(path)
    return body


# --- names, bio, fields, approve followers -----------------------------------------------


def test_settings_profile_needs_a_signed_in_member() -> None:
    response = Client().get("/settings/profile")
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


def test_display_name_and_bio_with_link_and_mention_are_rendered_safely(
    fern: User, browser: Client
) -> None:
    make_user("moss")
    bio = (
        "Chair of the gardening club. Plot map at https://example.org/allotments and ask "
        "@moss about seeds. <script>alert('weeds')</script> <b>bold</b>"
    )
    response = save_profile(browser, display_name="  Fern   Green ", bio=bio)
    assert response.status_code == 302
    assert response["Location"] == "/settings/profile"
    fern.refresh_from_db()
    assert fern.display_name == "Fern Green"
    assert fern.bio == bio

    page = text_of(Client().get("/@fern"))
    assert re.search(r"<h1>\s*Fern Green\s*</h1>", page)
    assert re.search(r'<a href="https://example.org/allotments"[^>]*rel="nofollow[^"]*"', page)
    assert re.search(r'<a href="/@moss"[^>]*class="mention"[^>]*>@moss</a>', page)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(" in page
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page

    form = text_of(browser.get("/settings/profile"))
    assert 'value="Fern Green"' in form
    assert "Plot map at https://example.org/allotments" in form


def test_mention_of_someone_who_is_not_a_member_stays_plain_text(
    fern: User, browser: Client
) -> None:
    save_profile(browser, bio="Ask @nobody_here about the chess society.")
    page = text_of(Client().get("/@fern"))
    assert "@nobody_here about the chess society." in page
    assert 'href="/@nobody_here"' not in page


def test_too_long_display_name_or_bio_is_a_form_error(fern: User, browser: Client) -> None:
    response = save_profile(browser, display_name="g" * 61, bio="short")
    assert response.status_code == 400
    assert "Ensure this value has at most 60 characters" in text_of(response)
    response = save_profile(browser, bio="h" * 501)
    assert response.status_code == 400
    assert "At most 500 characters." in text_of(response)
    fern.refresh_from_db()
    assert fern.display_name == "" and fern.bio == ""


def test_a_bio_of_500_characters_with_line_breaks_fits(fern: User, browser: Client) -> None:
    # Browsers count a line break as one character but send it as two ("\r\n").
    bio = ("Compost, seeds and chess.\r\n" * 20)[:519]
    assert len(bio) > 500 and len(bio.replace("\r\n", "\n")) <= 500
    assert save_profile(browser, bio=bio).status_code == 302
    fern.refresh_from_db()
    assert fern.bio == bio.replace("\r\n", "\n").strip()


def test_up_to_four_profile_fields_and_never_a_fifth(fern: User, browser: Client) -> None:
    pairs = [
        ("Club", "Riverside gardening club"),
        ("Chess", "https://example.org/chess-society"),
        ("Plot", "Number 12, by the <b>shed</b>"),
        ("Opening", "Sicilian defence"),
        ("Fifth", "One field too many"),
    ]
    data = {}
    for i, (name, value) in enumerate(pairs):
        data[f"field_{i}_name"] = name
        data[f"field_{i}_value"] = value

    form = text_of(browser.get("/settings/profile"))
    assert 'name="field_3_name"' in form
    assert 'name="field_4_name"' not in form

    assert save_profile(browser, **data).status_code == 302
    fern.refresh_from_db()
    assert [(f["name"], f["value"]) for f in fern.fields] == pairs[:4]

    page = text_of(Client().get("/@fern"))
    for name, _ in pairs[:4]:
        assert f"<dt>{name}</dt>" in page
    assert re.search(r'<a href="https://example.org/chess-society"[^>]*>', page)
    assert "&lt;b&gt;shed&lt;/b&gt;" in page
    assert "One field too many" not in page

    # The write layer refuses a fifth field from any other entry point as well.
    with pytest.raises(ValidationError):
        actions.update_profile(fern, fields=[{"name": n, "value": v} for n, v in pairs])
    fern.refresh_from_db()
    assert len(fern.fields) == 4


def test_a_profile_field_needs_a_label_and_a_value(fern: User, browser: Client) -> None:
    response = save_profile(browser, field_0_name="Club", field_0_value="")
    assert response.status_code == 400
    assert "Each profile field needs a label and a value." in text_of(response)
    fern.refresh_from_db()
    assert fern.fields == []


def test_profile_field_labels_are_escaped(fern: User, browser: Client) -> None:
    save_profile(browser, field_0_name="<script>x</script>", field_0_value="Chess")
    page = text_of(Client().get("/@fern"))
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_approve_followers_toggle(fern: User, browser: Client) -> None:
    assert save_profile(browser, locked="on").status_code == 302
    fern.refresh_from_db()
    assert fern.locked
    assert "approves followers" in text_of(Client().get("/@fern"))
    assert 'name="locked"' in text_of(browser.get("/settings/profile"))

    moss = make_user("moss")
    reader = Client()
    reader.force_login(moss)
    assert reader.post("/@fern/follow").status_code == 302
    assert FollowRequest.objects.filter(follower=moss, followee=fern).exists()
    assert not Follow.objects.filter(follower=moss, followee=fern).exists()

    # Turning it off lets everyone who was waiting in.
    assert save_profile(browser).status_code == 302
    fern.refresh_from_db()
    assert not fern.locked
    assert Follow.objects.filter(follower=moss, followee=fern).exists()
    assert not FollowRequest.objects.exists()


# --- avatar and header -------------------------------------------------------------------


def test_png_avatar_is_accepted_and_resized(fern: User, browser: Client) -> None:
    response = save_profile(browser, avatar=upload(picture((800, 600))))
    assert response.status_code == 302
    fern.refresh_from_db()
    assert fern.avatar.startswith("avatars/")
    stored = Image.open(io.BytesIO(served(browser, fern.avatar)))
    assert stored.size == (400, 400)
    assert stored.format in ("JPEG", "PNG")
    assert default_storage.url(fern.avatar) in text_of(Client().get("/@fern"))


def test_transparent_png_avatar_keeps_its_transparency(fern: User, browser: Client) -> None:
    data = picture((300, 500), mode="RGBA", color=(46, 139, 87, 100))
    assert save_profile(browser, avatar=upload(data)).status_code == 302
    fern.refresh_from_db()
    stored = Image.open(io.BytesIO(served(browser, fern.avatar)))
    assert stored.size == (400, 400)
    assert stored.mode == "RGBA"
    assert stored.getpixel((200, 200))[3] == 100  # type: ignore[index]


def test_jpeg_header_is_accepted_and_resized(fern: User, browser: Client) -> None:
    data = picture((2000, 900), fmt="JPEG")
    response = save_profile(browser, header=upload(data, "hedge.jpg", "image/jpeg"))
    assert response.status_code == 302
    fern.refresh_from_db()
    assert fern.header.startswith("headers/")
    stored = Image.open(io.BytesIO(served(browser, fern.header)))
    assert stored.size == (1500, 500)
    assert default_storage.url(fern.header) in text_of(Client().get("/@fern"))


def photo_with_exif() -> bytes:
    """A phone photo: stored 600x300 (left half red, right half blue) with orientation 6
    ("rotate 90 degrees clockwise to show"), so it shows 300x600, red on top; plus a camera
    name and a GPS position."""
    image = Image.new("RGB", (600, 300), BLUE)
    image.paste(RED, (0, 0, 300, 300))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "AllotmentCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 7.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 2.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    data = out.getvalue()
    check = Image.open(io.BytesIO(data)).getexif()
    assert check[ExifTags.Base.Orientation] == 6
    assert check.get_ifd(ExifTags.IFD.GPSInfo)  # the upload really carries a position
    return data


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 180 and pixel[2] < 80


def is_blue(pixel: tuple[int, ...]) -> bool:
    return pixel[2] > 180 and pixel[0] < 80


@pytest.mark.parametrize(("field", "size"), [("avatar", (400, 400)), ("header", (1500, 500))])
def test_exif_is_stripped_and_orientation_applied(
    fern: User, browser: Client, field: str, size: tuple[int, int]
) -> None:
    response = save_profile(browser, **{field: upload(photo_with_exif(), "plot.jpg", "image/jpeg")})
    assert response.status_code == 302
    fern.refresh_from_db()
    data = served(browser, getattr(fern, field))
    assert b"AllotmentCam" not in data
    assert b"Exif\x00\x00" not in data
    stored = Image.open(io.BytesIO(data))
    assert stored.size == size
    assert "exif" not in stored.info
    exif = stored.getexif()
    assert len(exif) == 0
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)

    # Shown upright: red above, blue below (unrotated it would be red left, blue right).
    rgb = stored.convert("RGB")
    width, height = size
    assert is_red(rgb.getpixel((width // 2, height // 10)))  # type: ignore[arg-type]
    assert is_blue(rgb.getpixel((width // 2, height * 9 // 10)))  # type: ignore[arg-type]


def test_png_with_exif_is_stripped_too(fern: User, browser: Client) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "AllotmentCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    data = picture((500, 500), mode="RGBA", color=(46, 139, 87, 255), exif=exif)
    assert save_profile(browser, avatar=upload(data)).status_code == 302
    fern.refresh_from_db()
    stored_bytes = served(browser, fern.avatar)
    assert b"AllotmentCam" not in stored_bytes
    assert len(Image.open(io.BytesIO(stored_bytes)).getexif()) == 0


@pytest.mark.parametrize("field", ["avatar", "header"])
def test_a_text_file_named_png_is_refused(fern: User, browser: Client, field: str) -> None:
    notes = b"Minutes of the chess society meeting: bring your own board.\n"
    response = save_profile(browser, **{field: upload(notes, "board.png")})
    assert response.status_code == 400
    assert "That file is not an image we can read." in text_of(response)
    fern.refresh_from_db()
    assert getattr(fern, field) == ""
    assert stored_names() == []  # nothing in the media folder or the bucket


def test_an_image_format_we_do_not_take_is_refused(fern: User, browser: Client) -> None:
    response = save_profile(browser, avatar=upload(picture(fmt="BMP"), "garden.bmp", "image/bmp"))
    assert response.status_code == 400
    assert "Upload a JPEG, PNG, GIF or WebP image." in text_of(response)


def test_an_empty_file_is_refused(fern: User, browser: Client) -> None:
    response = save_profile(browser, avatar=upload(b"", "empty.png"))
    assert response.status_code == 400
    fern.refresh_from_db()
    assert fern.avatar == ""


def test_a_truncated_image_is_refused(fern: User, browser: Client) -> None:
    data = picture((600, 600), fmt="JPEG")[:300]
    response = save_profile(browser, avatar=upload(data, "cut.jpg", "image/jpeg"))
    assert response.status_code == 400
    assert "That file is not an image we can read." in text_of(response)


@pytest.mark.parametrize("size", [(8000, 8000), (100_000, 100_000)])
def test_a_decompression_bomb_is_refused(
    fern: User, browser: Client, size: tuple[int, int]
) -> None:
    data = png_header_claiming(*size)
    assert len(data) < 1000
    response = save_profile(browser, avatar=upload(data, "bomb.png"))
    assert response.status_code == 400
    assert "That image has too many pixels." in text_of(response)
    fern.refresh_from_db()
    assert fern.avatar == ""
    assert stored_names() == []  # nothing in the media folder or the bucket


def test_an_image_over_the_pixel_limit_is_refused(
    fern: User, browser: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)
    response = save_profile(browser, header=upload(picture((800, 600))))
    assert response.status_code == 400
    assert "That image has too many pixels." in text_of(response)
    assert save_profile(browser, avatar=upload(picture((100, 100)))).status_code == 302


def test_an_oversized_upload_is_refused(fern: User, browser: Client, settings) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "MAX_UPLOAD_BYTES": 1024 * 1024}
    noise = Image.frombytes("RGB", (800, 800), os.urandom(800 * 800 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 1024 * 1024
    response = save_profile(browser, avatar=upload(out.getvalue(), "noise.png"))
    assert response.status_code == 400
    assert "That file is too large" in text_of(response)
    fern.refresh_from_db()
    assert fern.avatar == ""
    assert save_profile(browser, avatar=upload(picture())).status_code == 302


def test_a_bad_header_leaves_no_half_saved_avatar(fern: User, browser: Client) -> None:
    response = save_profile(
        browser,
        display_name="Fern Green",
        avatar=upload(picture()),
        header=upload(b"not a picture", "hedge.png"),
    )
    assert response.status_code == 400
    fern.refresh_from_db()
    assert fern.avatar == "" and fern.header == "" and fern.display_name == ""
    assert stored_names() == []  # nothing in the media folder or the bucket


def test_removing_the_avatar_deletes_the_file(
    fern: User, browser: Client, django_capture_on_commit_callbacks
) -> None:
    save_profile(browser, avatar=upload(picture()))
    fern.refresh_from_db()
    old = fern.avatar
    assert default_storage.exists(old)
    with django_capture_on_commit_callbacks(execute=True):
        assert save_profile(browser, remove_avatar="on").status_code == 302
    fern.refresh_from_db()
    assert fern.avatar == ""
    assert not default_storage.exists(old)
    assert fetched(browser, old)[0] == 404


def test_replacing_the_avatar_deletes_the_old_file(
    fern: User, browser: Client, django_capture_on_commit_callbacks
) -> None:
    save_profile(browser, avatar=upload(picture()))
    fern.refresh_from_db()
    old = fern.avatar
    with django_capture_on_commit_callbacks(execute=True):
        save_profile(browser, avatar=upload(picture(color=RED)))
    fern.refresh_from_db()
    assert fern.avatar != old
    assert default_storage.exists(fern.avatar)
    assert not default_storage.exists(old)
