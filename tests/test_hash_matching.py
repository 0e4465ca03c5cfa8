"""Hash matching of uploads: every uploaded image is hashed (PDQ of its rotated and mirrored
forms after trimming uniform borders, MD5, SHA-256) and looked up in the operator's hash
banks; a match is recorded for moderators and the upload cannot be posted until released."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageDraw, ImageOps

from tests.api.conftest import api_as
from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user
from townsquare.accounts.models import User
from townsquare.media import actions as media_actions
from townsquare.media.models import MediaAttachment
from townsquare.moderation import hash_banks, hash_imports, hash_index, hashing
from townsquare.moderation.models import BankedHash, HashBank, HashKind, HashMatch, MatchStatus
from townsquare.posts.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    hash_index.forget()


def allotment(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A picture with some structure: a sky-to-soil gradient with beds and plants drawn on it
    (every seed gives a different garden)."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, size[1])[:, None, None]
    top, bottom = rng.integers(40, 220, 3), rng.integers(40, 220, 3)
    pixels = (top * (1 - ramp) + bottom * ramp).repeat(size[0], axis=1).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y = int(rng.integers(0, size[0])), int(rng.integers(0, size[1]))
        w, h = (int(v) for v in rng.integers(30, 220, 2))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x, y, x + w, y + h], fill=colour)
    return image


def encoded(image: Image.Image, fmt: str = "JPEG", **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def upload(owner: User, data: bytes, name: str = "beds.jpg") -> MediaAttachment:
    return media_actions.upload(owner, SimpleUploadedFile(name, data, "image/jpeg"))


@pytest.fixture
def warden() -> User:
    return make_user("warden", role="moderator")


@pytest.fixture
def banked_garden(warden: User) -> Image.Image:
    """A picture a moderator removed, banked from its upload."""
    picture = allotment(7)
    removed = upload(make_user("tansy"), encoded(picture, "PNG"), "beds.png")
    assert hash_banks.add_removed_image(warden, removed) == 3  # PDQ, MD5, SHA-256
    return picture


def attach_refused(owner: User, attachment: MediaAttachment) -> None:
    post = make_post(owner, "Our plot this week.")
    with pytest.raises(ValidationError) as caught:
        media_actions.attach(owner, post, [attachment.pk])
    assert caught.value.message_dict == {"media": ["This image cannot be posted here."]}
    assert not MediaAttachment.objects.filter(post=post).exists()


# Matching


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: encoded(p, quality=70), id="re-encoded"),
        pytest.param(lambda p: encoded(p.resize((400, 300)), quality=90), id="half-size"),
        pytest.param(lambda p: encoded(ImageOps.mirror(p), quality=90), id="mirrored"),
        pytest.param(lambda p: encoded(p.rotate(90, expand=True), quality=90), id="rotated"),
        pytest.param(
            lambda p: encoded(ImageOps.expand(p, (60, 30, 60, 30), fill=(20, 20, 20)), quality=90),
            id="bordered",
        ),
        pytest.param(
            lambda p: encoded(ImageOps.mirror(p.resize((400, 300))), quality=80),
            id="re-encoded-half-mirrored",
        ),
    ],
)
def test_a_banked_image_changed_is_held(banked_garden: Image.Image, change: Any) -> None:
    fern = make_user("fern")
    attachment = upload(fern, change(banked_garden))
    match = HashMatch.objects.get(attachment=attachment)
    assert match.kind == HashKind.PDQ and match.distance <= 31
    assert match.status == MatchStatus.OPEN and match.owner == fern
    assert match.bank_name == hash_banks.removed_bank().name
    attach_refused(fern, attachment)


def test_an_unrelated_image_is_not_held(banked_garden: Image.Image) -> None:
    fern = make_user("fern")
    for seed in (1, 2, 3):
        attachment = upload(fern, encoded(allotment(seed), quality=85))
        assert not HashMatch.objects.filter(attachment=attachment).exists()
        assert attachment.hashes.pdq and attachment.hashes.pdq_quality >= 50
        media_actions.attach(fern, make_post(fern), [attachment.pk])


def test_exact_md5_and_sha256_matches(warden: User) -> None:
    fern = make_user("fern")
    first, second = encoded(allotment(11), quality=80), encoded(allotment(12), quality=80)
    bank = hash_banks.create_bank(warden, name="Known spam", label="spam")
    md5_list = f"hash,label\n{hashlib.md5(first).hexdigest()},flyer\n".encode()
    sha_list = f"{hashlib.sha256(second).hexdigest()}\n".encode()
    hash_imports.import_hashes(warden, bank.pk, md5_list)
    hash_imports.import_hashes(warden, bank.pk, sha_list, long_kind=HashKind.SHA256)
    assert HashMatch.objects.get(attachment=upload(fern, first)).kind == HashKind.MD5
    assert HashMatch.objects.get(attachment=upload(fern, second)).kind == HashKind.SHA256


def test_a_disabled_bank_does_not_match_and_enabling_it_again_does(
    banked_garden: Image.Image, warden: User
) -> None:
    fern = make_user("fern")
    bank = hash_banks.removed_bank()
    hash_banks.set_enabled(warden, bank.pk, False)
    assert not HashMatch.objects.filter(attachment=upload(fern, encoded(banked_garden))).exists()
    hash_banks.set_enabled(warden, bank.pk, True)
    assert HashMatch.objects.filter(attachment=upload(fern, encoded(banked_garden))).exists()


def test_a_flat_image_is_not_matched_by_pdq(warden: User) -> None:
    flat = Image.new("RGB", (400, 300), (120, 170, 90))
    forms, quality = hashing.pdq_of_pixels(np.asarray(flat))
    assert quality < hashing.MIN_QUALITY
    bank = hash_banks.create_bank(warden, name="Flat", label="test")
    hash_imports.import_hashes(
        warden, bank.pk, hashing.to_hex(forms[0]).encode(), long_kind=HashKind.PDQ
    )
    fern = make_user("fern")
    attachment = upload(fern, encoded(Image.new("RGB", (500, 300), (121, 171, 91)), quality=60))
    assert attachment.hashes.pdq == "" and attachment.hashes.pdq_quality < 50
    assert not HashMatch.objects.filter(attachment=attachment).exists()


def test_uniform_borders_are_trimmed_on_every_side() -> None:
    inner = np.asarray(allotment(5, (200, 100)))
    framed = np.asarray(
        ImageOps.expand(ImageOps.expand(Image.fromarray(inner), (5, 0, 9, 3), fill="white"), 7)
    )
    assert hashing.trim_borders(framed).shape == hashing.trim_borders(inner).shape


# Releasing


def test_a_released_match_lets_the_upload_be_posted(
    banked_garden: Image.Image, warden: User
) -> None:
    fern = make_user("fern")
    attachment = upload(fern, encoded(banked_garden, quality=85))
    match = HashMatch.objects.get(attachment=attachment)
    with pytest.raises(PermissionDenied):
        hash_banks.review_match(fern, match.pk, MatchStatus.RELEASED)
    hash_banks.review_match(warden, match.pk, MatchStatus.CONFIRMED)
    attach_refused(fern, attachment)
    hash_banks.review_match(warden, match.pk, MatchStatus.RELEASED)
    post = make_post(fern)
    media_actions.attach(fern, post, [attachment.pk])
    assert MediaAttachment.objects.get(pk=attachment.pk).post == post


# Importing lists


def test_an_import_with_bad_lines_names_them_and_adds_nothing(warden: User) -> None:
    bank = hash_banks.create_bank(warden, name="Shared list", label="imported")
    good = "0123456789abcdef" * 2
    text = f"# from a partner\n{good},seed\n\nnot-a-hash\n{good[:-1]}\n{good}zz\n"
    with pytest.raises(ValidationError) as caught:
        hash_imports.import_hashes(warden, bank.pk, text.encode())
    assert caught.value.message_dict == {
        "file": ["Lines 4, 5, 6 are not MD5 (32 hex digits), PDQ or SHA-256 hashes (64)."]
    }
    assert not BankedHash.objects.exists()


def test_64_digit_hashes_need_their_kind_chosen(warden: User) -> None:
    bank = hash_banks.create_bank(warden, name="Shared list", label="imported")
    data = ("ab" * 32 + "\n" + "cd" * 32 + "\n" + "ef" * 16 + "\n").encode()
    with pytest.raises(ValidationError) as caught:
        hash_imports.import_hashes(warden, bank.pk, data)
    assert "choose whether they are PDQ or SHA-256" in caught.value.messages[0]
    assert not BankedHash.objects.exists()
    result = hash_imports.import_hashes(warden, bank.pk, data, long_kind=HashKind.PDQ)
    assert (result.added, result.already) == (3, 0)
    again = hash_imports.import_hashes(warden, bank.pk, data, long_kind=HashKind.PDQ)
    assert (again.added, again.already) == (0, 3)
    kinds = sorted(BankedHash.objects.values_list("kind", flat=True))
    assert kinds == [HashKind.MD5, HashKind.PDQ, HashKind.PDQ]


def test_members_cannot_manage_banks() -> None:
    fern = make_user("fern")
    with pytest.raises(PermissionDenied):
        hash_banks.create_bank(fern, name="Mine")
    assert not HashBank.objects.exists()


# The staff page


def test_the_hash_banks_page_is_for_staff_who_moderate(warden: User) -> None:
    assert client_of(make_user("fern")).get("/admin/hash-banks").status_code == 403
    assert Client().get("/admin/hash-banks").status_code == 302
    page = client_of(warden)
    assert (
        page.post("/admin/hash-banks", {"name": "Chess club spam", "label": "spam"}).status_code
        == 302
    )
    bank = HashBank.objects.get(name="Chess club spam")
    listed = SimpleUploadedFile("list.txt", ("ab" * 16 + "\n").encode(), "text/plain")
    response = page.post(f"/admin/hash-banks/{bank.pk}/import", {"file": listed})
    assert response.status_code == 302
    assert bank.hashes.count() == 1
    shown = text_of(page.get("/admin/hash-banks"))
    assert "Chess club spam" in shown and "spam" in shown
    bad = SimpleUploadedFile("list.txt", b"e2e4\n", "text/plain")
    refused = page.post(f"/admin/hash-banks/{bank.pk}/import", {"file": bad})
    assert refused.status_code == 400 and "Line 1 is not" in text_of(refused)
    page.post(f"/admin/hash-banks/{bank.pk}/switch", {"enabled": ""})
    assert not HashBank.objects.get(pk=bank.pk).enabled
    page.post(f"/admin/hash-banks/{bank.pk}/delete")
    assert not HashBank.objects.exists() and not BankedHash.objects.exists()


# Posting a matched upload


def test_the_composer_refuses_a_matched_image(banked_garden: Image.Image) -> None:
    fern = make_user("fern")
    browser = client_of(fern)
    picture = SimpleUploadedFile("beds.jpg", encoded(ImageOps.mirror(banked_garden)), "image/jpeg")
    response = browser.post(
        "/posts", {"text": "Our beds", "visibility": "0", "media_0": picture, "alt_0": "Beds"}
    )
    assert response.status_code == 400
    assert "This image cannot be posted here." in text_of(response)
    assert not Post.objects.filter(author=fern).exists()
    match = HashMatch.objects.get(owner=fern)
    assert match.attachment is not None  # kept for the moderator


def test_the_api_refuses_a_matched_image_with_422(banked_garden: Image.Image) -> None:
    fern = make_user("fern")
    api = api_as(fern)
    picture = SimpleUploadedFile(
        "beds.jpg", encoded(banked_garden.resize((400, 300))), "image/jpeg"
    )
    uploaded = api.post("/api/v2/media", {"file": picture}, form=True)
    assert uploaded.status_code == 200
    media_id = uploaded.json()["id"]
    response = api.post("/api/v1/statuses", {"status": "Our beds", "media_ids": [media_id]})
    assert response.status_code == 422
    assert response.json()["error"].endswith("This image cannot be posted here.")
    assert HashMatch.objects.filter(attachment_id=int(media_id)).exists()
    assert not Post.objects.filter(author=fern).exists()


# Matches as moderation cases


def test_a_matching_upload_opens_an_automated_case(
    banked_garden: Image.Image, warden: User
) -> None:
    from townsquare.moderation.models import Case, Source, TargetKind

    basil = make_user("basil")
    held = upload(basil, encoded(banked_garden, quality=80))
    match = HashMatch.objects.get(attachment=held)
    case = Case.objects.get(kind=TargetKind.MEDIA, target_id=match.pk)
    assert case.source == Source.AUTOMATED and case.account == basil and case.is_open
    attach_refused(basil, held)  # held while the case is open: nothing is published
    page = client_of(warden).get(f"/admin/moderation/{case.pk}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Removed by moderators" in text and "distance" in text
    assert "<details" in text  # the upload shown only behind a click
    assert "confirm-match" in text and "release-match" in text
    assert client_of(basil).get(f"/admin/moderation/{case.pk}").status_code in (302, 403, 404)
    assert "/admin/moderation/" in text_of(client_of(warden).get("/admin/moderation"))


def test_an_unrelated_upload_opens_no_case(banked_garden: Image.Image) -> None:
    from townsquare.moderation.models import Case

    upload(make_user("basil"), encoded(allotment(99), quality=90))
    assert not Case.objects.exists()


def test_confirming_a_match_deletes_the_upload_and_banks_it(
    banked_garden: Image.Image, warden: User
) -> None:
    from townsquare.moderation.models import Case, CaseNote

    basil = make_user("basil")
    held = upload(basil, encoded(ImageOps.mirror(banked_garden), quality=85))
    case = Case.objects.get(kind="media")
    bank = hash_banks.removed_bank()
    before = bank.hashes.count()
    response = client_of(warden).post(f"/admin/moderation/{case.pk}/confirm-match")
    assert response.status_code == 302
    assert not MediaAttachment.objects.filter(pk=held.pk).exists()
    match = HashMatch.objects.get()
    assert match.status == MatchStatus.CONFIRMED and match.bank_name == bank.name
    assert bank.hashes.count() > before  # this copy's own hashes, so it cannot come back
    [note] = CaseNote.objects.filter(case=case)
    assert "@basil" in note.text
    case.refresh_from_db()
    assert case.is_open  # the moderator decides what to do about the account
    page = text_of(client_of(warden).get(f"/admin/moderation/{case.pk}"))
    assert "The upload was deleted." in page and "confirm-match" not in page
    # The same file again is held at once.
    again = upload(basil, encoded(ImageOps.mirror(banked_garden), quality=85))
    attach_refused(basil, again)


def test_releasing_a_match_lets_the_upload_be_posted(
    banked_garden: Image.Image, warden: User
) -> None:
    from townsquare.moderation.models import Case, CaseState

    basil = make_user("basil")
    held = upload(basil, encoded(banked_garden, quality=75))
    case = Case.objects.get(kind="media")
    response = client_of(warden).post(f"/admin/moderation/{case.pk}/release-match")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DISMISSED
    assert HashMatch.objects.get().status == MatchStatus.RELEASED
    post = make_post(basil, "Our plot this week.")
    media_actions.attach(basil, post, [held.pk])
    assert MediaAttachment.objects.get(pk=held.pk).post_id == post.pk
    # Reviewed once: a second decision is refused.
    client_of(warden).post(f"/admin/moderation/{case.pk}/confirm-match")
    assert MediaAttachment.objects.filter(pk=held.pk).exists()
