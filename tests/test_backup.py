"""`townsquare backup` and `townsquare restore`, run for real as subprocesses.

A site with members, posts, a reply, a like, follows, an uploaded image and a changed feature
switch is backed up while it exists as any site does, restored into an empty target, and
found identical: every row of every table, every media file byte for byte, and the secret key.
Archives that are damaged, cut short, foreign, of the other database or of newer code are
refused with one line, and so is a target that is not empty; each time the target is left
exactly as it was.

Sites are tests/test_cli.py's throwaway installations, each with a data dir of its own. On
SQLite (the default) the database lives there. In the PostgreSQL pass (the test run has
TOWNSQUARE_DATABASE_URL) every site gets a database of its own, created for it on that server
and dropped afterwards: without PostgreSQL these tests fail, never skip.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import databases
from tests.databases import POSTGRES
from tests.test_cli import Result, Site, assert_ok, assert_one_line_failure

POPULATE = """
import io
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.factories import PASSWORD, follow, make_user, run_jobs
from townsquare.media import actions as media
from townsquare.posts import actions as posts
from townsquare.site.actions import set_feature

fern = make_user("fern_gardens", password=PASSWORD)
basil = make_user("basil_plots")
rook = make_user("rook_chess_society")
follow(basil, fern)
follow(rook, fern)
follow(fern, rook)
picture = io.BytesIO()
Image.new("RGB", (160, 120), (40, 160, 70)).save(picture, "JPEG")
upload = media.upload(
    fern,
    SimpleUploadedFile("beds.jpg", picture.getvalue(), content_type="image/jpeg"),
    description="The raised beds, dug and ready",
)
post = posts.create_post(
    fern, text="The raised beds are ready for the seed swap #gardening", media_ids=[upload.pk]
)
posts.create_post(rook, text="A chess board by the beds on Sunday?", in_reply_to=post)
posts.like(basil, post)
set_feature("messages", enabled=False)
run_jobs()
"""

# Every row of every table (raw SQL, so tables without a model count too: the search index,
# the rate-limit table), and a few facts to show that the comparison is not of empty sites.
DUMP = """
import json
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID
from django.db import connection
from townsquare.accounts.models import User
from townsquare.media.models import MediaAttachment
from townsquare.posts.models import Post
from townsquare.site import features

def plain(value):
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (datetime, date, time, Decimal, UUID)):
        return str(value)
    return value

tables = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names()):
        cursor.execute("SELECT * FROM " + connection.ops.quote_name(table))
        rows = [json.dumps([plain(v) for v in row], sort_keys=True) for row in cursor.fetchall()]
        tables[table] = sorted(rows)
facts = {
    "members": sorted(User.objects.values_list("username", flat=True)),
    "posts": sorted(Post.objects.values_list("text", flat=True)),
    "attachments": MediaAttachment.objects.exclude(post=None).count(),
    "messages": features.enabled("messages"),
}
print(json.dumps({"tables": tables, "facts": facts}))
"""

EXPECTED_FACTS = {
    "members": ["basil_plots", "fern_gardens", "rook_chess_society"],
    "posts": [
        "A chess board by the beds on Sunday?",
        "The raised beds are ready for the seed swap #gardening",
    ],
    "attachments": 1,
    "messages": False,
}

REFUSED = ("damaged", "cut short", "not a Townsquare backup")


# --- sites and their databases -------------------------------------------------------------


@contextmanager
def scratch_database(template: str | None = None) -> Iterator[dict[str, str]]:
    """On PostgreSQL, a new database on the test server (dropped afterwards), empty or a copy
    of `template`, as the variable pointing a site at it; on SQLite nothing (the site's data
    dir holds its file)."""
    with databases.scratch_database(template, "restore") as url:
        yield {"TOWNSQUARE_DATABASE_URL": url} if url else {}


@contextmanager
def new_site(root: Path, database: Path | str | None = None) -> Iterator[Site]:
    """A site that nobody has used, its settings loaded once (so its data dir, with a
    generated secret key, exists, as after any first command). With `database` (the
    `migrated` fixture), its database starts migrated: a copy of that SQLite file, or on
    PostgreSQL of that template database."""
    root.mkdir(parents=True, exist_ok=True)
    template = database if POSTGRES and isinstance(database, str) else None
    with scratch_database(template) as variables:
        sqlite = None if POSTGRES or isinstance(database, str) else database
        site = Site.make(root, root / "data", database=sqlite, **variables)
        assert_ok(site.python("pass"))
        yield site


@pytest.fixture(scope="module")
def migrated(migrated_database: Path, migrated_postgres: str | None) -> Path | str:
    """What a migrated site starts from: the migrated SQLite file, or on PostgreSQL the name of
    the database migrated once for the run (each site's is a copy: CREATE DATABASE ...
    TEMPLATE; see tests/databases.py)."""
    return migrated_postgres or migrated_database


def dump(site: Site) -> dict[str, object]:
    state = site.python_json(DUMP, timeout=120)
    assert isinstance(state, dict)
    return state


def media_of(site: Site) -> dict[str, bytes]:
    root = site.data_dir / "media"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def fingerprint(site: Site) -> dict[str, object]:
    """Everything a restore could change: every file of the data dir (by checksum) and, on
    PostgreSQL, the tables of the site's database."""
    files = {
        str(path.relative_to(site.data_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(site.data_dir.rglob("*"))
        if path.is_file()
    }
    state: dict[str, object] = {"files": files}
    if POSTGRES:
        import psycopg

        with psycopg.connect(site.env["TOWNSQUARE_DATABASE_URL"]) as db:
            state["tables"] = db.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                " ORDER BY table_name"
            ).fetchall()
    return state


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, migrated: Path | str) -> Iterator[Site]:
    """The gardening club's site, made once for this module."""
    with new_site(tmp_path_factory.mktemp("source"), migrated) as site:
        if POSTGRES:
            assert_ok(site.townsquare("migrate", timeout=180))
        assert_ok(site.python(POPULATE, timeout=120))
        yield site


@pytest.fixture(scope="module")
def backed_up(source: Site) -> tuple[Path, Result]:
    """`townsquare backup` of the source site, to its default place."""
    result = source.townsquare("backup", timeout=120)
    assert_ok(result)
    archives = list((source.data_dir / "backups").iterdir())
    assert len(archives) == 1, archives
    return archives[0], result


@pytest.fixture
def archive(backed_up: tuple[Path, Result]) -> Path:
    return backed_up[0]


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Site]:
    with new_site(tmp_path / "target") as site:
        yield site


# --- the round trip ------------------------------------------------------------------------


def test_backup_writes_one_private_archive_with_progress(
    source: Site, backed_up: tuple[Path, Result]
) -> None:
    archive, result = backed_up
    assert re.fullmatch(r"townsquare-\d{8}-\d{6}\.tar\.gz", archive.name)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # password hashes, the secret key
    assert f"Backed up 3 members, 2 posts and 2 media files to {archive}" in result.stdout
    assert "backup: 100%" in result.stderr
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    database = "db.pgdump" if POSTGRES else "db.sqlite3"
    assert names[:2] == [database, "secret_key"]
    assert names[-1] == "manifest.json"
    assert sorted(names[2:-1]) == sorted(f"media/{name}" for name in media_of(source))
    assert not [p for p in archive.parent.iterdir() if p != archive]  # no temporary left


def test_restore_rebuilds_an_identical_site(source: Site, archive: Path, target: Site) -> None:
    result = target.townsquare("restore", str(archive), timeout=180)
    assert_ok(result)
    assert "Restored 3 members, 2 posts and 2 media files" in result.stdout
    assert "restore: 100%" in result.stderr  # its progress, as plain lines (no terminal)
    assert "Applied" not in result.stdout  # the same code: no migration to run
    restored, original = dump(target), dump(source)
    assert restored["facts"] == original["facts"] == EXPECTED_FACTS
    assert restored["tables"] == original["tables"]
    assert media_of(target) == media_of(source)
    assert (target.data_dir / "secret_key").read_bytes() == (
        source.data_dir / "secret_key"
    ).read_bytes()
    assert not list(target.data_dir.glob(".townsquare-restore-*"))
    # The restored site works: its member logs in with the password of before.
    login = (
        "from django.contrib.auth import authenticate\n"
        "print(authenticate(None, username='fern_gardens', password='tulips-and-rooks-42')"
        " is not None)"
    )
    logged_in = target.python(login)
    assert_ok(logged_in)
    assert logged_in.stdout.strip().splitlines()[-1] == "True"


# Posts as fast as it can (a few gardeners in turn, under the posting rate limit) until the
# file named by argv[1] appears; says "ready" after its first post, and at the end how many.
KEEP_POSTING = """
import sys, time
from pathlib import Path
from tests.factories import make_user
from townsquare.posts import actions as posts
gardeners = [make_user(f"busy_gardener_{n}") for n in range(5)]
stop, made = Path(sys.argv[1]), 0
while not stop.exists() and made < 1400:
    posts.create_post(gardeners[made % 5], text=f"Watering round {made}")
    made += 1
    if made == 1:
        print("ready", flush=True)
print(made, flush=True)
"""

# Every post of the busy gardeners has its row in its author's home feed (written in the same
# transaction): a copy taken between the two would show a post without it.
CONSISTENT = """
import json
from django.db import connection
from townsquare.feeds.models import TimelineEntry
from townsquare.posts.models import Post
posts = Post.objects.filter(author__username__startswith="busy_gardener_")
in_feeds = TimelineEntry.objects.filter(owner__username__startswith="busy_gardener_")
integrity = "ok"
if connection.vendor == "sqlite":
    with connection.cursor() as cursor:
        integrity = cursor.execute("PRAGMA integrity_check").fetchone()[0]
print(json.dumps({
    "posts": posts.count(),
    "without_feed_entry": posts.exclude(pk__in=in_feeds.values("post")).count(),
    "integrity": integrity,
}))
"""


def test_a_backup_taken_while_members_post_is_consistent(
    tmp_path: Path, migrated: Path | str, target: Site
) -> None:
    with new_site(tmp_path / "busy", migrated) as busy:
        if POSTGRES:
            assert_ok(busy.townsquare("migrate", timeout=180))
        stop = tmp_path / "stop"
        env = {**busy.env, "DJANGO_SETTINGS_MODULE": "townsquare.settings"}
        code = "import django\ndjango.setup()\n" + KEEP_POSTING
        writer = subprocess.Popen(
            [sys.executable, "-c", code, str(stop)],
            env=env,
            cwd=busy.root,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
            backup = busy.townsquare("backup", str(tmp_path / "busy.tar.gz"), timeout=120)
        finally:
            stop.touch()
            made = int(writer.communicate(timeout=60)[0].split()[-1])
        assert_ok(backup)
    assert_ok(target.townsquare("restore", str(tmp_path / "busy.tar.gz"), timeout=180))
    state = target.python_json(CONSISTENT)
    assert isinstance(state, dict)
    assert 1 <= state["posts"] <= made
    assert state["without_feed_entry"] == 0
    assert state["integrity"] == "ok"


def test_an_older_backup_is_brought_up_to_date(
    tmp_path: Path, migrated: Path | str, target: Site
) -> None:
    with new_site(tmp_path / "older", migrated) as older:
        if POSTGRES:
            assert_ok(older.townsquare("migrate", timeout=180))
        # The site as it was before the latest migration of polls.
        assert_ok(older.python(UNAPPLY_LATEST, "polls"))
        result = older.townsquare("backup", str(tmp_path / "older.tar"))
        assert_ok(result)
    restored = target.townsquare("restore", str(tmp_path / "older.tar"), timeout=180)
    assert_ok(restored)
    assert re.search(r"Applied [1-9]\d* migrations made since the backup\.", restored.stdout)
    assert target.python_json(PENDING) == 0


UNAPPLY_LATEST = """
import sys
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
app = sys.argv[1]
names = sorted(name for label, name in MigrationLoader(None).disk_migrations if label == app)
call_command("migrate", app, names[-2], verbosity=0)
"""

PENDING = """
import json
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
executor = MigrationExecutor(connection)
print(json.dumps(len(executor.migration_plan(executor.loader.graph.leaf_nodes()))))
"""


def test_a_migrated_but_unused_site_is_a_valid_target(
    tmp_path: Path, archive: Path, migrated: Path | str, source: Site
) -> None:
    """SQLite: its file is replaced. PostgreSQL: pg_restore needs a database without tables,
    so the operator is told to create one."""
    with new_site(tmp_path / "unused", migrated) as unused:
        if POSTGRES:
            assert_ok(unused.townsquare("migrate", timeout=180))
            before = fingerprint(unused)
            result = unused.townsquare("restore", str(archive))
            line = assert_one_line_failure(result, names="not empty")
            assert "createdb" in line
            assert fingerprint(unused) == before
        else:
            # A site that printed its setup link (as `serve` does) but was never set up
            # holds nothing of anyone's either.
            assert "Set up your site" in unused.townsquare("setup").stdout
            assert_ok(unused.townsquare("restore", str(archive), timeout=180))
            assert dump(unused)["tables"] == dump(source)["tables"]


# --- refusals ------------------------------------------------------------------------------


def members_of(archive: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(archive) as tar:
        found = []
        for member in tar:
            handle = tar.extractfile(member)
            assert handle is not None
            found.append((member.name, handle.read()))
        return found


def write_tar(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz" if path.name.endswith(".gz") else "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def edit_manifest(members: list[tuple[str, bytes]], change: Callable[[dict], None]) -> list:
    edited = []
    for name, data in members:
        if name == "manifest.json":
            manifest = json.loads(data)
            change(manifest)
            data = json.dumps(manifest).encode()
        edited.append((name, data))
    return edited


def flipped_in_the_middle(archive: Path, out: Path) -> Path:
    data = bytearray(archive.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    out.write_bytes(bytes(data))
    return out


def cut_in_half(archive: Path, out: Path) -> Path:
    out.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return out


def plain_cut_in_half(archive: Path, out: Path) -> Path:
    """Uncompressed, so only the tar structure and the manifest can tell."""
    plain = write_tar(out.with_suffix(""), members_of(archive))
    plain.write_bytes(plain.read_bytes()[: plain.stat().st_size // 2])
    return plain


def foreign(archive: Path, out: Path) -> Path:
    return write_tar(out, [("notes.txt", b"Seed swap list"), ("photos/beds.jpg", b"\xff\xd8")])


def without_manifest(archive: Path, out: Path) -> Path:
    return write_tar(out, [m for m in members_of(archive) if m[0] != "manifest.json"])


def media_changed(archive: Path, out: Path) -> Path:
    """A plain tar (so the change is not caught by gzip) with one media file altered."""
    members = members_of(archive)
    index = next(i for i, (name, _) in enumerate(members) if name.startswith("media/"))
    name, data = members[index]
    members[index] = (name, data[:-1] + bytes([data[-1] ^ 1]))
    return write_tar(out.with_suffix(""), members)


def other_format(archive: Path, out: Path) -> Path:
    def change(manifest: dict) -> None:
        manifest["format"] = "allotment-archive"

    return write_tar(out, edit_manifest(members_of(archive), change))


def not_a_tar(archive: Path, out: Path) -> Path:
    out.write_text("Seed swap on Saturday: bring labelled envelopes.\n")
    return out


DAMAGED = {
    "corrupted": (flipped_in_the_middle, REFUSED),
    "truncated": (cut_in_half, REFUSED),
    "truncated, uncompressed": (plain_cut_in_half, REFUSED),
    "foreign": (foreign, ("not a Townsquare backup",)),
    "without a manifest": (without_manifest, ("cut short",)),
    "checksum mismatch": (media_changed, ("does not match its checksum",)),
    "another format": (other_format, ("not a Townsquare backup",)),
    "not a tar": (not_a_tar, REFUSED),
}


@pytest.mark.parametrize("damage", list(DAMAGED))
def test_a_bad_archive_is_refused_and_the_target_left_untouched(
    damage: str, archive: Path, target: Site, tmp_path: Path
) -> None:
    make, expected = DAMAGED[damage]
    bad = make(archive, tmp_path / "bad.tar.gz")
    before = fingerprint(target)
    result = target.townsquare("restore", str(bad))
    line = assert_one_line_failure(result, names=str(bad))
    assert any(words in line for words in expected), line
    assert fingerprint(target) == before


def test_a_backup_of_the_other_database_names_the_setting(
    archive: Path, target: Site, tmp_path: Path
) -> None:
    other, member = ("sqlite", "db.sqlite3") if POSTGRES else ("postgresql", "db.pgdump")
    own = "db.pgdump" if POSTGRES else "db.sqlite3"

    def change(manifest: dict) -> None:
        manifest["database"] = {"vendor": other, "member": member}
        manifest["members"][member] = manifest["members"].pop(own)

    renamed = [(member if name == own else name, data) for name, data in members_of(archive)]
    bad = write_tar(tmp_path / "other.tar.gz", edit_manifest(renamed, change))
    before = fingerprint(target)
    line = assert_one_line_failure(
        target.townsquare("restore", str(bad)), names="TOWNSQUARE_DATABASE_URL"
    )
    assert ("holds a SQLite database" if POSTGRES else "holds a PostgreSQL database") in line
    assert fingerprint(target) == before


def test_a_backup_of_newer_code_is_refused(archive: Path, target: Site, tmp_path: Path) -> None:
    def change(manifest: dict) -> None:
        manifest["townsquare_version"] = "9.0.0"
        manifest["migrations"].append(["posts", "9999_from_a_later_season"])

    bad = write_tar(tmp_path / "newer.tar.gz", edit_manifest(members_of(archive), change))
    before = fingerprint(target)
    line = assert_one_line_failure(target.townsquare("restore", str(bad)), names="newer")
    assert "posts.9999_from_a_later_season" in line and "upgrade" in line
    assert fingerprint(target) == before


def test_a_site_that_is_not_empty_is_refused_and_kept(source: Site, archive: Path) -> None:
    before, rows = fingerprint(source), dump(source)
    line = assert_one_line_failure(source.townsquare("restore", str(archive)), names="not empty")
    assert "TOWNSQUARE_DATA_DIR" in line or "TOWNSQUARE_DATABASE_URL" in line
    after = fingerprint(source)
    assert after == before
    assert dump(source) == rows


def test_media_left_in_the_target_is_refused_and_kept(archive: Path, target: Site) -> None:
    stray = target.data_dir / "media" / "attachments" / "ab" / "left-behind.jpg"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"\xff\xd8 a photo of the allotment")
    before = fingerprint(target)
    line = assert_one_line_failure(target.townsquare("restore", str(archive)), names="media")
    assert "not empty" in line
    assert fingerprint(target) == before


def test_backup_never_replaces_an_existing_file(source: Site, tmp_path: Path) -> None:
    existing = tmp_path / "club.tar.gz"
    existing.write_bytes(b"last week's backup")
    line = assert_one_line_failure(
        source.townsquare("backup", str(existing)), names="already exists"
    )
    assert str(existing) in line
    assert existing.read_bytes() == b"last week's backup"


@pytest.mark.parametrize(
    ("where", "says"),
    [("club.zip", "ends in .tar.gz"), ("media/club.tar.gz", "inside the media folder")],
)
def test_backup_refuses_a_bad_destination(source: Site, where: str, says: str) -> None:
    destination = source.data_dir / where
    line = assert_one_line_failure(source.townsquare("backup", str(destination)), names=says)
    assert str(destination) in line
    assert not destination.exists()


def test_a_missing_archive_is_one_line(target: Site, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.tar.gz"
    assert_one_line_failure(target.townsquare("restore", str(missing)), names="no such file")
