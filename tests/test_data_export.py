"""'Download my data': what a member finds in their archive (JSON files, media files and the
CSV lists in Mastodon's formats), that only they can download it, one at a time, and that
archives expire."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from tests.conftest import client_of, text_of
from tests.factories import follow, make_post, make_user, run_jobs
from tests.stored import private_names
from tests.test_media_images import encoded, halves, media_root, upload_file
from townsquare.accounts import export
from townsquare.accounts.models import DataExport, ExportStatus, User
from townsquare.communities import actions as group_actions
from townsquare.graph import actions as graph
from townsquare.media import actions as media_actions
from townsquare.messaging import actions as message_actions
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db
__all__ = ["media_root"]  # the autouse fixture: every test stores into its own folder

HOST = settings.CONFIG.hostname


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path: Path) -> Path:
    """Archives go to a folder of this test's own (with S3, conftest gives each test a
    prefix of its own in the bucket)."""
    root = tmp_path / "private"
    if settings.CONFIG.s3:
        return root
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def _archives(member: User, root: Path) -> list[str]:
    folder = f"exports/{member.pk}/"
    return [n for n in private_names(root) if n.startswith(folder) and n.endswith(".zip")]


def archive_of(member: User) -> zipfile.ZipFile:
    """Ask for an archive through the settings page, run the job, download it."""
    browser = client_of(member)
    response = browser.post("/settings/data/export")
    assert response.status_code == 302
    run_jobs()
    row = DataExport.objects.get(member=member, status=ExportStatus.READY)
    download = browser.get(f"/settings/data/export/{row.pk}")
    assert download.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))


def read_json(archive: zipfile.ZipFile, name: str) -> dict:
    return json.loads(archive.read(name))


@pytest.fixture
def gardening_club() -> dict[str, User]:
    """fern and her neighbours in the gardening club, with a bit of everything."""
    people = {name: make_user(name) for name in ("fern", "basil", "sorrel", "tansy", "yarrow")}
    fern, basil, sorrel, tansy, yarrow = people.values()
    follow(fern, basil)
    graph.follow(fern, sorrel, notify_posts=True, reblogs=False)
    follow(tansy, fern)
    graph.block(fern, yarrow)
    graph.mute(fern, tansy, notifications=False)
    return people


def test_the_archive_holds_the_members_data_as_json(gardening_club: dict[str, User]) -> None:
    fern, basil, sorrel = gardening_club["fern"], gardening_club["basil"], gardening_club["sorrel"]
    upload = media_actions.upload(fern, upload_file(encoded(halves((80, 60)))), description="Beds")
    run_jobs()
    first = post_actions.create_post(
        fern, text="The tomatoes are in.", media_ids=[upload.pk], spoiler_text="Harvest"
    )
    poll = post_actions.create_post(
        fern,
        text="Which bed gets the beans?",
        poll=post_actions.PollSpec(options=["North", "South"]),
        visibility=Visibility.FOLLOWERS,
    )
    theirs = make_post(basil, "Seed swap on Saturday.")
    reply = post_actions.create_post(fern, text="Count me in!", in_reply_to=theirs)
    post_actions.share(fern, theirs)
    post_actions.bookmark(fern, theirs)
    message_actions.start_conversation(sorrel, [fern], "Could you water my courgettes?")
    message_actions.start_conversation(fern, [sorrel], "Of course.")
    group = group_actions.create_group(fern, name="Allotment rota", handle="allotment")
    group_actions.join(basil, group)

    archive = archive_of(fern)

    names = set(archive.namelist())
    for name in (
        "profile.json",
        "posts.json",
        "follows.json",
        "followers.json",
        "blocks.json",
        "mutes.json",
        "bookmarks.json",
        "messages.json",
        "groups.json",
    ):
        assert name in names
    profile = read_json(archive, "profile.json")
    assert profile["username"] == "fern"
    assert profile["account"] == f"fern@{HOST}"
    assert profile["email"] == "fern@example.org"

    posts = read_json(archive, "posts.json")
    by_id = {item["id"]: item for item in posts["posts"]}
    assert set(by_id) == {str(first.pk), str(poll.pk), str(reply.pk)}
    pictured = by_id[str(first.pk)]
    assert pictured["text"] == "The tomatoes are in."
    assert pictured["content_warning"] == "Harvest"
    assert pictured["visibility"] == "public"
    assert pictured["created_at"] and pictured["edited_at"] is None
    [attachment] = pictured["attachments"]
    assert attachment["description"] == "Beds"
    assert attachment["file"].startswith(f"media/posts/{first.pk}-0")
    assert archive.read(attachment["file"])[:2] in (b"\xff\xd8", b"RI")  # a JPEG or WebP image
    assert by_id[str(poll.pk)]["visibility"] == "followers"
    assert [o["title"] for o in by_id[str(poll.pk)]["poll"]["options"]] == ["North", "South"]
    assert by_id[str(reply.pk)]["in_reply_to_id"] == str(theirs.pk)
    assert [share["of_id"] for share in posts["shares"]] == [str(theirs.pk)]

    following = read_json(archive, "follows.json")["following"]
    assert {row["account"] for row in following} == {f"basil@{HOST}", f"sorrel@{HOST}"}
    assert [r["account"] for r in read_json(archive, "followers.json")["followers"]] == [
        f"tansy@{HOST}"
    ]
    assert [r["account"] for r in read_json(archive, "blocks.json")["blocks"]] == [f"yarrow@{HOST}"]
    [mute] = read_json(archive, "mutes.json")["mutes"]
    assert mute["account"] == f"tansy@{HOST}" and mute["hide_notifications"] is False
    [bookmark] = read_json(archive, "bookmarks.json")["bookmarks"]
    assert bookmark["url"] == f"{settings.BASE_URL}/@basil/{theirs.pk}"

    [conversation] = read_json(archive, "messages.json")["conversations"]
    assert conversation["participants"] == [f"sorrel@{HOST}"]
    assert [m["text"] for m in conversation["messages"]] == [
        "Could you water my courgettes?",
        "Of course.",
    ]
    [membership] = read_json(archive, "groups.json")["groups"]
    assert membership["handle"] == "allotment" and membership["role"] == "owner"


def test_the_csv_lists_are_in_mastodons_formats(gardening_club: dict[str, User]) -> None:
    fern, basil = gardening_club["fern"], gardening_club["basil"]
    theirs = make_post(basil, "Seed swap on Saturday.")
    post_actions.bookmark(fern, theirs)

    archive = archive_of(fern)

    following = archive.read("following_accounts.csv").decode().splitlines()
    assert following[0] == "Account address,Show boosts,Notify on new posts,Languages"
    assert sorted(following[1:]) == [
        f"basil@{HOST},true,false,",
        f"sorrel@{HOST},false,true,",
    ]
    assert archive.read("blocked_accounts.csv").decode() == f"yarrow@{HOST}\n"
    assert archive.read("muted_accounts.csv").decode() == (
        f"Account address,Hide notifications\ntansy@{HOST},false\n"
    )
    assert archive.read("bookmarks.csv").decode() == f"{settings.BASE_URL}/@basil/{theirs.pk}\n"


def test_bookmarks_of_posts_no_longer_seen_are_left_out(gardening_club: dict[str, User]) -> None:
    fern, basil = gardening_club["fern"], gardening_club["basil"]
    post = make_post(basil, "Mulch now, thank me later.")
    post_actions.bookmark(fern, post)
    graph.block(basil, fern)
    archive = archive_of(fern)
    assert read_json(archive, "bookmarks.json")["bookmarks"] == []
    assert archive.read("bookmarks.csv") == b""


def test_messages_deleted_for_oneself_stay_out(gardening_club: dict[str, User]) -> None:
    fern, sorrel = gardening_club["fern"], gardening_club["sorrel"]
    kept = message_actions.start_conversation(sorrel, [fern], "The shed key is under the pot.")
    hidden = message_actions.send_message(sorrel, kept.conversation_id, "Wrong pot, sorry.")
    message_actions.delete_for_me(fern, hidden.pk)
    [conversation] = read_json(archive_of(fern), "messages.json")["conversations"]
    assert [m["text"] for m in conversation["messages"]] == ["The shed key is under the pot."]


def test_the_member_is_emailed_a_link_to_the_page(fern: User) -> None:
    archive_of(fern)
    [message] = [m for m in mail.outbox if fern.email in m.to]
    assert f"{settings.BASE_URL}/settings/data" in message.body


def test_another_member_cannot_download_it(fern: User) -> None:
    archive_of(fern)
    row = DataExport.objects.get(member=fern)
    basil = make_user("basil")
    assert client_of(basil).get(f"/settings/data/export/{row.pk}").status_code == 404
    assert Client().get(f"/settings/data/export/{row.pk}").status_code == 302  # to log in


def test_the_download_is_an_attachment_kept_out_of_media(fern: User, private_root: Path) -> None:
    browser = client_of(fern)
    browser.post("/settings/data/export")
    run_jobs()
    row = DataExport.objects.get(member=fern)
    response = browser.get(f"/settings/data/export/{row.pk}")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/zip"
    assert row.path in private_names(private_root)
    assert not row.path.startswith(settings.MEDIA_ROOT)
    assert len(Path(row.path).stem) >= 32  # not guessable
    assert browser.get(f"/media/{row.path}").status_code == (301 if settings.CONFIG.s3 else 404)
    assert not default_storage.exists(row.path)  # not among the media (S3: not under media/)


def test_one_archive_at_a_time_and_the_page_says_it_is_being_prepared(fern: User) -> None:
    browser = client_of(fern)
    browser.post("/settings/data/export")
    page = text_of(browser.get("/settings/data"))
    assert "being prepared" in page
    second = browser.post("/settings/data/export", follow=True)
    assert "already being prepared" in text_of(second)
    assert DataExport.objects.filter(member=fern).count() == 1
    run_jobs()
    page = text_of(browser.get("/settings/data"))
    row = DataExport.objects.get(member=fern)
    assert f"/settings/data/export/{row.pk}" in page


def test_requests_are_rate_limited(fern: User) -> None:
    browser = client_of(fern)
    for _ in range(export.EXPORTS_PER_ACCOUNT.count):
        browser.post("/settings/data/export")
        run_jobs()
    refused = browser.post("/settings/data/export", follow=True)
    assert "Too many attempts" in text_of(refused)
    assert DataExport.objects.filter(member=fern).count() == export.EXPORTS_PER_ACCOUNT.count


def test_a_new_archive_replaces_the_old_and_old_ones_expire(fern: User, private_root: Path) -> None:
    archive_of(fern)
    first = DataExport.objects.get(member=fern)
    archive_of(fern)
    first.refresh_from_db()
    assert first.status == ExportStatus.EXPIRED
    latest = DataExport.objects.get(member=fern, status=ExportStatus.READY)
    assert len(_archives(fern, private_root)) == 1

    later = timezone.now() + timedelta(days=export.ARCHIVE_DAYS, minutes=1)
    assert export.remove_expired(later) == 1
    run_jobs()  # the files go in a job, once the rows' change commits
    latest.refresh_from_db()
    assert latest.status == ExportStatus.EXPIRED and latest.path == ""
    assert _archives(fern, private_root) == []
    assert client_of(fern).get(f"/settings/data/export/{latest.pk}").status_code == 404


def test_a_lost_job_does_not_block_the_member_forever(fern: User) -> None:
    browser = client_of(fern)
    browser.post("/settings/data/export")
    DataExport.objects.filter(member=fern).update(
        created_at=timezone.now() - export.STALE_AFTER - timedelta(minutes=1)
    )
    assert "could not be made" in text_of(browser.get("/settings/data"))
    browser.post("/settings/data/export")
    assert DataExport.objects.filter(member=fern, status=ExportStatus.PENDING).count() == 1


def test_an_archive_that_cannot_be_made_is_marked_failed(
    fern: User, monkeypatch: pytest.MonkeyPatch, private_root: Path
) -> None:
    def broken(archive: zipfile.ZipFile, member: User) -> None:
        raise ValueError("a bad row")

    monkeypatch.setattr(export, "write_archive", broken)
    browser = client_of(fern)
    browser.post("/settings/data/export")
    run_jobs()
    assert DataExport.objects.get(member=fern).status == ExportStatus.FAILED
    assert "could not be made" in text_of(browser.get("/settings/data"))
    assert not [name for name in private_names(private_root) if name.endswith(".zip")]
