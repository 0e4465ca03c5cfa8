"""Importing lists in Mastodon's CSV formats: a round trip from one member's archive to
another member, merge and overwrite, rows skipped with their reasons, files refused with a
form error (never a 500), and imports that wait for the member's hourly limits."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.conftest import client_of, text_of
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts import imports
from townsquare.accounts.models import DataExport, DataImport, ImportStatus, User
from townsquare.core import ratelimit
from townsquare.graph import actions as graph
from townsquare.graph.models import Block, Follow, Mute
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Bookmark, Visibility

pytestmark = pytest.mark.django_db

HOST = settings.CONFIG.hostname
FOLLOWING = "Account address,Show boosts,Notify on new posts,Languages\n"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def send_list(
    member: User, kind: str, content: bytes | str, *, mode: str = "merge", name: str = "list.csv"
) -> HttpResponse:
    """Upload a list from the settings page and run the import job."""
    data = content.encode() if isinstance(content, str) else content
    response = client_of(member).post(
        "/settings/data/import",
        {"kind": kind, "mode": mode, "file": SimpleUploadedFile(name, data, "text/csv")},
    )
    run_jobs()
    return response


def latest_import(member: User) -> DataImport:
    return DataImport.objects.filter(member=member).latest("id")


def following_of(member: User) -> set[str]:
    return set(Follow.objects.filter(follower=member).values_list("followee__username", flat=True))


def exported_lists(member: User) -> dict[str, bytes]:
    browser = client_of(member)
    browser.post("/settings/data/export")
    run_jobs()
    row = DataExport.objects.get(member=member)
    body = b"".join(browser.get(f"/settings/data/export/{row.pk}").streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    return {name: archive.read(name) for name in archive.namelist() if name.endswith(".csv")}


# --- a round trip --------------------------------------------------------------------------


def test_lists_exported_by_one_member_import_into_another() -> None:
    fern, basil, sorrel, tansy, yarrow = (
        make_user(name) for name in ("fern", "basil", "sorrel", "tansy", "yarrow")
    )
    graph.follow(fern, basil, reblogs=False, notify_posts=True)
    follow(fern, sorrel)
    graph.block(fern, yarrow)
    graph.mute(fern, tansy, notifications=False)
    seed_swap = make_post(basil, "Seed swap on Saturday at the allotments.")
    post_actions.bookmark(fern, seed_swap)
    lists = exported_lists(fern)

    rook = make_user("rook")  # the chess society's secretary, moving her follows over
    for kind, name in (
        ("following", "following_accounts.csv"),
        ("blocks", "blocked_accounts.csv"),
        ("mutes", "muted_accounts.csv"),
        ("bookmarks", "bookmarks.csv"),
    ):
        response = send_list(rook, kind, lists[name], name=name)
        assert response.status_code == 302, text_of(response)
        item = latest_import(rook)
        assert item.status == ImportStatus.DONE
        assert item.skipped_count == 0, item.skipped

    assert following_of(rook) == {"basil", "sorrel"}
    to_basil = Follow.objects.get(follower=rook, followee=basil)
    assert (to_basil.show_reblogs, to_basil.notify) == (False, True)
    assert Block.objects.filter(blocker=rook, blocked=yarrow).exists()
    mute = Mute.objects.get(muter=rook)
    assert (mute.muted_id, mute.hide_notifications) == (tansy.pk, False)
    assert list(Bookmark.objects.filter(user=rook).values_list("post_id", flat=True)) == [
        seed_swap.pk
    ]
    page = text_of(client_of(rook).get("/settings/data"))
    assert "Imported: 1. Skipped: 0." in page


def test_addresses_may_be_bare_or_start_with_an_at() -> None:
    fern, basil, sorrel, tansy = (make_user(n) for n in ("fern", "basil", "sorrel", "tansy"))
    send_list(fern, "blocks", f"basil\n@sorrel@{HOST}\nTansy@{HOST.upper()}\n")
    assert set(Block.objects.filter(blocker=fern).values_list("blocked_id", flat=True)) == {
        basil.pk,
        sorrel.pk,
        tansy.pk,
    }


def test_rows_that_cannot_be_applied_are_skipped_with_their_reason() -> None:
    fern, basil, yarrow = make_user("fern"), make_user("basil"), make_user("yarrow")
    graph.block(yarrow, fern)
    content = (
        FOLLOWING
        + f"basil@{HOST},true,false,\n"
        + "gardener@elsewhere.example,true,false,\n"
        + f"nobody_here@{HOST},true,false,\n"
        + f"fern@{HOST},true,false,\n"
        + f"yarrow@{HOST},true,false,\n"
        + "not an address!,true,false,\n"
    )
    send_list(fern, "following", content)
    item = latest_import(fern)
    assert following_of(fern) == {"basil"}
    assert (item.imported, item.skipped_count) == (1, 5)
    reasons = {row["value"]: row["reason"] for row in item.skipped}
    assert "another site" in reasons["gardener@elsewhere.example"]
    assert "no account" in reasons[f"nobody_here@{HOST}"]
    assert "you" in reasons[f"fern@{HOST}"]
    assert "not available" in reasons[f"yarrow@{HOST}"]
    assert "not an account address" in reasons["not an address!"]
    page = text_of(client_of(fern).get("/settings/data"))
    assert "gardener@elsewhere.example" in page and "Skipped: 5." in page
    assert basil.pk in item.kept_ids


def test_bookmarks_of_posts_the_member_cannot_see_are_skipped() -> None:
    fern, basil, sorrel = make_user("fern"), make_user("basil"), make_user("sorrel")
    public = make_post(basil, "Compost bins are back in stock.")
    private = make_post(sorrel, "Members-only plot map.", visibility=Visibility.FOLLOWERS)
    content = "\n".join(
        [
            f"{settings.BASE_URL}/@basil/{public.pk}",
            f"{settings.BASE_URL}/@sorrel/{private.pk}",
            f"{settings.BASE_URL}/@basil/{private.pk}",  # the wrong author for that id
            "https://elsewhere.example/@basil/1",
            f"{settings.BASE_URL}/about",
        ]
    )
    send_list(fern, "bookmarks", "#uri\n" + content + "\n")
    item = latest_import(fern)
    assert list(Bookmark.objects.filter(user=fern).values_list("post_id", flat=True)) == [public.pk]
    assert (item.imported, item.skipped_count) == (1, 4)
    follow(fern, sorrel)  # now she may see it: the same list brings it in
    send_list(fern, "bookmarks", content)
    assert Bookmark.objects.filter(user=fern, post=private).exists()


# --- merge and overwrite --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"), [("merge", {"basil", "sorrel"}), ("overwrite", {"sorrel"})]
)
def test_merge_keeps_what_is_there_and_overwrite_replaces_it(mode: str, expected: set[str]) -> None:
    fern, basil, _sorrel = make_user("fern"), make_user("basil"), make_user("sorrel")
    follow(fern, basil)
    send_list(fern, "following", FOLLOWING + f"sorrel@{HOST},true,false,\n", mode=mode)
    assert following_of(fern) == expected
    assert latest_import(fern).removed == (1 if mode == "overwrite" else 0)


def test_overwrite_works_for_blocks_mutes_and_bookmarks() -> None:
    fern, basil, sorrel, tansy = (make_user(n) for n in ("fern", "basil", "sorrel", "tansy"))
    old, new = make_post(basil, "Old news."), make_post(tansy, "Frost tonight.")
    post_actions.bookmark(fern, old)
    graph.block(fern, basil)
    graph.mute(fern, basil)
    send_list(fern, "blocks", f"sorrel@{HOST}\n", mode="overwrite")
    send_list(
        fern, "mutes", f"Account address,Hide notifications\nsorrel@{HOST},true\n", mode="overwrite"
    )
    send_list(fern, "bookmarks", f"{settings.BASE_URL}/@tansy/{new.pk}\n", mode="overwrite")
    assert list(Block.objects.filter(blocker=fern).values_list("blocked_id", flat=True)) == [
        sorrel.pk
    ]
    assert list(Mute.objects.filter(muter=fern).values_list("muted_id", flat=True)) == [sorrel.pk]
    assert list(Bookmark.objects.filter(user=fern).values_list("post_id", flat=True)) == [new.pk]


# --- files refused --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("following", b"\xff\xfe\x00b\x00a\x00s\x00i\x00l", "UTF-8"),
        ("following", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "UTF-8"),
        ("following", b"", "empty"),
        ("following", b"\n\n", "empty"),
        ("following", b"Account address,Hide notifications\nbasil,true\n", "right kind of list"),
        ("mutes", FOLLOWING.encode() + b"basil,true,false,\n", "right kind of list"),
        ("blocks", b"List name,Account address\nChess,basil\n", "right kind of list"),
        ("following", b"Name;Handle\nBasil;basil\n", "first line"),
        ("bookmarks", b"basil\n", "first line"),
        ("following", FOLLOWING.encode(), "no rows"),
        ("following", b'"basil\n', "not a valid CSV"),
        ("blocks", b"basil,sorrel\n", "more columns"),
        ("mutes", b"Account address,Hide notifications\nbasil,maybe\n", "true or false"),
        ("following", b"basil\n" * 2 + b"x" * (1024 * 1024), "too large"),
        ("blocks", b"".join(b"gardener%d\n" % n for n in range(5001)), "more than 5000 rows"),
    ],
)
def test_a_bad_file_gets_a_form_error(kind: str, content: bytes, message: str) -> None:
    fern = make_user("fern")
    response = send_list(fern, kind, content)
    assert response.status_code == 400
    assert message in text_of(response)
    assert not DataImport.objects.exists()


def test_a_byte_order_mark_and_crlf_lines_are_fine() -> None:
    fern, basil = make_user("fern"), make_user("basil")
    send_list(
        fern, "following", ("\ufeff" + FOLLOWING + "basil,true,false,\n").replace("\n", "\r\n")
    )
    assert following_of(fern) == {basil.username}


def test_one_import_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    fern, _basil = make_user("fern"), make_user("basil")
    browser = client_of(fern)
    for _ in range(2):
        response = browser.post(
            "/settings/data/import",
            {"kind": "blocks", "mode": "merge", "file": SimpleUploadedFile("b.csv", b"basil\n")},
        )
    assert response.status_code == 400
    assert "still in progress" in text_of(response)
    assert DataImport.objects.count() == 1


# --- limits ---------------------------------------------------------------------------------


def test_an_import_waits_for_the_hourly_limit_and_then_carries_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fern = make_user("fern")
    for name in ("basil", "sorrel", "tansy"):
        make_user(name)
    monkeypatch.setattr(ratelimit, "FOLLOWS_PER_ACCOUNT", ratelimit.Limit("test-follows", 2, 3600))
    send_list(fern, "following", "basil\nsorrel\ntansy\n")
    item = latest_import(fern)
    assert item.status == ImportStatus.PENDING and item.paused_until is not None
    assert (item.position, item.imported) == (2, 2)
    assert "Paused by your hourly limits" in text_of(client_of(fern).get("/settings/data"))

    # An hour later (the limit's window is over, the waiting job is due):
    monkeypatch.setattr(ratelimit, "FOLLOWS_PER_ACCOUNT", ratelimit.Limit("test-later", 2, 3600))
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_jobs()
    item.refresh_from_db()
    assert item.status == ImportStatus.DONE and item.imported == 3
    assert following_of(fern) == {"basil", "sorrel", "tansy"}


def test_a_long_list_is_applied_over_several_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    fern = make_user("fern")
    names = [make_user(f"rook{n}").username for n in range(5)]
    monkeypatch.setattr(imports, "ROWS_PER_RUN", 2)
    send_list(fern, "blocks", "\n".join(names) + "\n")
    item = latest_import(fern)
    assert item.status == ImportStatus.DONE and item.imported == 5
    assert Block.objects.filter(blocker=fern).count() == 5


def test_requests_to_import_are_rate_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    fern, _basil = make_user("fern"), make_user("basil")
    monkeypatch.setattr(imports, "IMPORTS_PER_ACCOUNT", ratelimit.Limit("test-imports", 1, 3600))
    send_list(fern, "blocks", "basil\n")
    refused = send_list(fern, "mutes", "basil\n")
    assert refused.status_code == 400 and "Too many attempts" in text_of(refused)


def test_an_import_stops_when_the_account_is_closed() -> None:
    fern, _basil = make_user("fern"), make_user("basil")
    client_of(fern).post(
        "/settings/data/import",
        {"kind": "blocks", "mode": "merge", "file": SimpleUploadedFile("b.csv", b"basil\n")},
    )
    User.objects.filter(pk=fern.pk).update(is_active=False)
    run_jobs()
    assert latest_import(fern).status == ImportStatus.FAILED
    assert not Block.objects.exists()
    assert timezone.now() - latest_import(fern).created_at < timedelta(minutes=1)
