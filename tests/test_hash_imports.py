"""Large hash lists are added by jobs, in parts, each once: the staff page shows the progress,
uploads match the new hashes as parts arrive, and a part run twice adds nothing twice."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user, run_jobs
from tests.test_hash_matching import allotment, attach_refused, encoded, upload
from townsquare.accounts.models import User
from townsquare.moderation import hash_banks, hash_imports, hash_index
from townsquare.moderation.models import AuditEntry, BankedHash, HashImport, HashKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_parts(settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    hash_index.forget()
    # Lists above 5 new hashes go to jobs, 4 hashes per part.
    monkeypatch.setattr(hash_imports, "SYNC_MAX", 5)
    monkeypatch.setattr(hash_imports, "CHUNK", 4)


@pytest.fixture
def warden() -> User:
    return make_user("warden", role="moderator")


def _md5s(count: int) -> list[str]:
    return [secrets.token_hex(16) for _ in range(count)]


def test_a_long_list_is_added_by_jobs_in_parts(warden: User) -> None:
    bank = hash_banks.create_bank(warden, name="Partner list", label="imported")
    known = _md5s(2)
    hash_imports.import_hashes(warden, bank.pk, "\n".join(known).encode())  # added at once
    assert BankedHash.objects.filter(bank=bank).count() == 2
    fresh = _md5s(8)
    lines = [*known, *fresh, fresh[0]]  # two already in the bank, one line twice
    result = hash_imports.import_hashes(warden, bank.pk, "\n".join(lines).encode())
    item = result.queued
    assert item is not None and (item.total, item.chunks) == (10, 3)
    assert BankedHash.objects.filter(bank=bank).count() == 2  # nothing yet: the jobs add them
    assert AuditEntry.objects.filter(action="hashbank.import_queued").exists()
    run_jobs()
    item.refresh_from_db()
    assert item.done and (item.added, item.already) == (8, 2)
    assert sorted(item.done_chunks) == [0, 1, 2]
    stored = set(BankedHash.objects.filter(bank=bank).values_list("value", flat=True))
    assert stored == {*known, *fresh}
    assert all(kind == HashKind.MD5 for kind in BankedHash.objects.values_list("kind", flat=True))
    finished = AuditEntry.objects.filter(action="hashbank.import").order_by("-id").first()
    assert finished is not None and finished.after["added"] == 8


def test_a_part_run_twice_adds_nothing_twice(warden: User) -> None:
    bank = hash_banks.create_bank(warden, name="Partner list")
    values = _md5s(6)
    item = hash_imports.import_hashes(warden, bank.pk, "\n".join(values).encode()).queued
    assert item is not None
    run_jobs()
    part = [[HashKind.MD5, value, ""] for value in values[:4]]
    hash_imports.import_part.call(item.pk, 0, part)  # a worker died after the part committed
    item.refresh_from_db()
    assert (item.added, item.already, len(item.done_chunks)) == (6, 0, 2)
    assert BankedHash.objects.filter(bank=bank).count() == 6
    # The bank was deleted while parts waited: they do nothing.
    hash_banks.delete_bank(warden, bank.pk)
    hash_imports.import_part.call(item.pk, 1, part)
    assert not HashImport.objects.exists() and not BankedHash.objects.exists()


def test_uploads_match_hashes_added_by_the_jobs(warden: User) -> None:
    bank = hash_banks.create_bank(warden, name="Flyers")
    data = encoded(allotment(3))
    values = [*_md5s(6), hashlib.md5(data).hexdigest()]  # noqa: S324 (the bank's format)
    hash_imports.import_hashes(warden, bank.pk, "\n".join(values).encode())
    run_jobs()
    fern = make_user("fern")
    attach_refused(fern, upload(fern, data))
    other = upload(fern, encoded(allotment(4)))
    post = make_post(fern, "Our beans.")
    from townsquare.media import actions as media_actions

    media_actions.attach(fern, post, [other.pk])  # an unrelated picture is fine


def test_the_staff_page_queues_a_long_list_and_shows_its_progress(warden: User) -> None:
    bank = hash_banks.create_bank(warden, name="Partner list")
    browser = client_of(warden)
    listing = SimpleUploadedFile("list.txt", "\n".join(_md5s(9)).encode(), "text/plain")
    answer = browser.post(
        f"/admin/hash-banks/{bank.pk}/import", {f"b{bank.pk}-file": listing}, follow=True
    )
    assert answer.status_code == 200
    page = text_of(answer)
    assert "being added in the background" in page
    assert "Importing a list of 9 hashes: 0 of 3 parts done" in page
    run_jobs()
    page = text_of(browser.get("/admin/hash-banks"))
    assert "Imported a list of 9 hashes" in page and "9 added, 0 already in the bank" in page
