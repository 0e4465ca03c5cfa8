"""The `townsquare` command, run for real as a subprocess against a throwaway data dir.

Every test gets its own `TOWNSQUARE_DATA_DIR` under `tmp_path` and a clean environment: no
`TOWNSQUARE_*` variable from the test run (the suite may run with PostgreSQL and Redis
configured) and no `DJANGO_SETTINGS_MODULE` (pytest-django points it at the test settings).
Commands that need a database use the embedded SQLite default in the data dir.

The helpers here are also used by test_config.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("townsquare")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "townsquare.cli"]
TIMEOUT = 90.0  # generous: CI runs the SQLite and PostgreSQL passes side by side

# Loads Django with the real settings in a snippet subprocess; the snippet's code follows.
SNIPPET_PRELUDE = "import django\ndjango.setup()\n"


def clean_env(data_dir: Path, **variables: str) -> dict[str, str]:
    """os.environ without any TOWNSQUARE_* setting or settings module, plus the given ones."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TOWNSQUARE_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["TOWNSQUARE_DATA_DIR"] = str(data_dir)
    env.update(variables)
    return env


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill the process we started and anything it spawned (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def run(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path,
    stdin: str | None = None,
    timeout: float = TIMEOUT,
) -> Result:
    proc = subprocess.Popen(
        list(args),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        stdout, stderr = proc.communicate(timeout=10)
        pytest.fail(f"{' '.join(args)} did not finish in {timeout}s\n{stdout}\n{stderr}")
    return Result(proc.returncode, stdout, stderr)


@dataclass
class Site:
    """One throwaway Townsquare installation: a data dir and the environment to run it with."""

    root: Path
    env: dict[str, str]

    @classmethod
    def make(
        cls,
        tmp_path: Path,
        data_dir: Path | None = None,
        *,
        database: Path | None = None,
        **variables: str,
    ) -> Site:
        """A site in `tmp_path`; with `database`, starting from a copy of that SQLite file."""
        data_dir = data_dir or tmp_path / "data"
        if database is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(database, data_dir / "townsquare.sqlite3")
        return cls(tmp_path, clean_env(data_dir, **variables))

    @property
    def data_dir(self) -> Path:
        return Path(self.env["TOWNSQUARE_DATA_DIR"])

    def townsquare(self, *args: str, stdin: str | None = None, timeout: float = TIMEOUT) -> Result:
        return run([*COMMAND, *args], self.env, cwd=self.root, stdin=stdin, timeout=timeout)

    def python(self, code: str, *args: str, timeout: float = TIMEOUT) -> Result:
        """Run a snippet with Django set up on this site's settings (as the command sees them)."""
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "townsquare.settings"}
        return run(
            [sys.executable, "-c", SNIPPET_PRELUDE + code, *args],
            env,
            cwd=self.root,
            timeout=timeout,
        )

    def python_json(self, code: str, *args: str, timeout: float = TIMEOUT) -> object:
        result = self.python(code, *args, timeout=timeout)
        assert result.returncode == 0, str(result)
        return json.loads(result.stdout.strip().splitlines()[-1])


def assert_ok(result: Result) -> None:
    assert result.returncode == 0, str(result)
    assert "Traceback" not in result.stdout + result.stderr, str(result)


def assert_one_line_failure(result: Result, *, names: str, status: int = 2) -> str:
    """The command failed with `status` and exactly one stderr line naming `names`."""
    assert "Traceback" not in result.stdout + result.stderr, str(result)
    assert result.returncode == status, str(result)
    assert len(result.stderr_lines) == 1, str(result)
    line = result.stderr_lines[0]
    assert names.lower() in line.lower(), str(result)
    return line


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def members(site: Site) -> dict[str, list[str]]:
    """`user list` as {username: [email, role, confirmed, active]}."""
    result = site.townsquare("user", "list")
    assert_ok(result)
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["username", "email", "role", "confirmed", "active"]
    table = {}
    for row in rows:
        username, *rest = row.split()
        table[username] = rest
    return table


# --- check ---------------------------------------------------------------------------------


def test_check_reports_ok_on_a_good_configuration(tmp_path: Path) -> None:
    site = Site.make(tmp_path)
    result = site.townsquare("check")
    assert_ok(result)
    assert "ok: configuration and services look right" in result.stdout
    assert f"data dir:  {site.data_dir}" in result.stdout
    assert "database:  sqlite3" in result.stdout
    assert result.stderr_lines == []


def test_check_passes_against_the_services_this_run_is_configured_with(tmp_path: Path) -> None:
    # In the PostgreSQL + Redis pass this checks the real services; otherwise embedded SQLite.
    services = {
        key: os.environ[key]
        for key in ("TOWNSQUARE_DATABASE_URL", "TOWNSQUARE_REDIS_URL")
        if os.environ.get(key)
    }
    result = Site.make(tmp_path, **services).townsquare("check")
    assert_ok(result)
    engine = "postgresql" if "TOWNSQUARE_DATABASE_URL" in services else "sqlite3"
    assert f"database:  {engine}" in result.stdout
    redis = "configured" if "TOWNSQUARE_REDIS_URL" in services else "not used"
    assert f"redis:     {redis}" in result.stdout


def test_check_names_unreachable_redis_and_exits_2(tmp_path: Path) -> None:
    site = Site.make(tmp_path, TOWNSQUARE_REDIS_URL="redis://127.0.0.1:1/0")
    result = site.townsquare("check")
    assert_one_line_failure(result, names="TOWNSQUARE_REDIS_URL")
    assert "ok:" not in result.stdout


# --- user ----------------------------------------------------------------------------------


def test_user_create_makes_a_confirmed_member_with_the_role(
    tmp_path: Path, migrated_database: Path
) -> None:
    site = Site.make(tmp_path, database=migrated_database)
    result = site.townsquare(
        "user",
        "create",
        "Alice",
        "--email",
        "alice@Example.ORG",
        "--password-stdin",
        "--role",
        "admin",
        stdin="Sup3r-secret-pw\n",
    )
    assert_ok(result)
    assert "Created admin @Alice <alice@example.org>" in result.stdout
    assert members(site) == {"Alice": ["alice@example.org", "admin", "yes", "yes"]}


def test_user_create_refuses_a_taken_name_in_other_letter_case(
    tmp_path: Path, migrated_database: Path
) -> None:
    site = Site.make(tmp_path, database=migrated_database)
    assert_ok(site.townsquare("user", "create", "Alice", "--email", "alice@example.org"))
    result = site.townsquare("user", "create", "aLICE", "--email", "other@example.org")
    line = assert_one_line_failure(result, names="username", status=1)
    assert "taken" in line
    assert list(members(site)) == ["Alice"]


def test_user_create_refuses_a_bad_email(tmp_path: Path, migrated_database: Path) -> None:
    site = Site.make(tmp_path, database=migrated_database)
    result = site.townsquare("user", "create", "bob", "--email", "not-an-address")
    line = assert_one_line_failure(result, names="email", status=1)
    assert "valid email" in line


LOGINS = """
import json, sys
from django.contrib.auth import authenticate
print(json.dumps([
    authenticate(None, username=sys.argv[1], password=password) is not None
    for password in sys.argv[2:]
]))
"""


def test_user_set_password_changes_the_password(tmp_path: Path, migrated_database: Path) -> None:
    site = Site.make(tmp_path, database=migrated_database)
    old, new = "Old-secret-pw-1", "New-secret-pw-2"
    created = site.townsquare(
        "user", "create", "carol", "--email", "c@example.org", "--password-stdin", stdin=old
    )
    assert_ok(created)
    weak = site.townsquare("user", "set-password", "carol", "--password-stdin", stdin="123\n")
    assert weak.returncode == 1, str(weak)
    assert "Traceback" not in weak.stderr
    assert "too short" in weak.stderr
    unknown = site.townsquare("user", "set-password", "nobody", "--password-stdin", stdin=new)
    assert "no member named nobody" in assert_one_line_failure(unknown, names="nobody", status=1)

    result = site.townsquare("user", "set-password", "CAROL", "--password-stdin", stdin=new + "\n")
    assert_ok(result)
    assert "Password changed for @carol" in result.stdout
    # Logins against the same database, in another process: only the new password works.
    assert site.python_json(LOGINS, "carol", new, old, "123") == [True, False, False]


# --- features ------------------------------------------------------------------------------

FEATURE_STATE = """
import json
from townsquare.site import features
print(json.dumps(features.switches()))
"""


def test_features_lists_and_switches_a_feature_for_the_whole_site(
    tmp_path: Path, migrated_database: Path
) -> None:
    site = Site.make(tmp_path, database=migrated_database)
    listing = site.townsquare("features")
    assert_ok(listing)
    assert listing.stdout.split()[:2] == ["messages", "on"]
    assert_ok(site.townsquare("features", "off", "messages"))
    assert site.python_json(FEATURE_STATE) == {
        "messages": False,
        "groups": True,
        "pages": True,
        "events": True,
        "video": True,
        "polls": True,
        "link_previews": True,
        "public_timeline": True,
        "post_search": True,
        "friends_mode": False,
    }
    assert_ok(site.townsquare("features", "on", "messages"))
    assert site.python_json(FEATURE_STATE) == {
        "messages": True,
        "groups": True,
        "pages": True,
        "events": True,
        "video": True,
        "polls": True,
        "link_previews": True,
        "public_timeline": True,
        "post_search": True,
        "friends_mode": False,
    }
    unknown = site.townsquare("features", "off", "teleporting")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
    assert "Traceback" not in unknown.stderr


# --- demo ----------------------------------------------------------------------------------

DEMO_STATE = """
import json
from django.contrib.auth import authenticate
from django.db.models import Exists, F, OuterRef
from django_tasks_db.models import DBTaskResult
from townsquare.feeds.models import TimelineEntry
from townsquare.graph.models import Follow
from townsquare.posts.models import Like, Post

followed = Follow.objects.filter(follower=OuterRef("owner"), followee=OuterRef("author"))
delivered = TimelineEntry.objects.exclude(owner=F("author")).filter(Exists(followed))
print(json.dumps({
    "posts": Post.objects.filter(in_reply_to=None, reblog_of=None, poll=None).count(),
    "replies": Post.objects.exclude(in_reply_to=None).count(),
    "likes": Like.objects.count(),
    "polls": Post.objects.exclude(poll=None).count(),
    "follows": Follow.objects.count(),
    "delivered": delivered.count(),
    "readers": delivered.values("owner").distinct().count(),
    "queued": DBTaskResult.objects.ready().count(),
    "login": authenticate(None, username="fern_brook", password="demo-password") is not None,
}))
"""


def test_demo_fills_the_site_with_members_posts_and_home_feeds(
    tmp_path: Path, migrated_database: Path
) -> None:
    site = Site.make(tmp_path, database=migrated_database)
    result = site.townsquare("demo", "--members", "12", "--posts", "30", timeout=90)
    assert_ok(result)
    assert "12 members, 30 new posts" in result.stdout
    listed = members(site)
    assert len(listed) == 12
    assert all(row[1:] == ["member", "yes", "yes"] for row in listed.values())
    state = site.python_json(DEMO_STATE)
    assert isinstance(state, dict)
    assert state["posts"] == 30
    # ... and conversations on them: replies, likes, a poll.
    assert state["replies"] > 0 and state["likes"] > 0 and state["polls"] == 1
    assert state["follows"] > 0
    # Fan-out ran: members read posts of people they follow in their materialized home feeds.
    assert state["delivered"] > 0
    assert state["readers"] > 1
    assert state["queued"] == 0
    assert state["login"] is True


def test_demo_with_no_members_fails_cleanly(tmp_path: Path) -> None:
    site = Site.make(tmp_path)
    result = site.townsquare("demo", "--members", "0", "--posts", "5")
    assert "Traceback" not in result.stdout + result.stderr, str(result)
    assert result.returncode != 0, str(result)
    assert "--members" in result.stderr, str(result)


# --- serve and worker ----------------------------------------------------------------------

# Makes an author and a follower, posts, then waits up to argv[1] seconds for the post to reach
# the follower's home feed. The snippet itself never runs jobs: only a worker can deliver it.
POST_AND_WAIT = """
import json, sys, time
from townsquare.accounts import actions as accounts
from townsquare.feeds.models import TimelineEntry
from townsquare.graph.actions import follow
from townsquare.posts.actions import create_post

author = accounts.create_user("author", "author@example.org", email_confirmed=True)
reader = accounts.create_user("reader", "reader@example.org", email_confirmed=True)
follow(reader, author)
post = create_post(author, text="Seed swap on Saturday morning #gardening")
start = time.monotonic()
delivered = False
while not delivered and time.monotonic() - start < float(sys.argv[1]):
    delivered = TimelineEntry.objects.filter(owner=reader, post=post).exists()
    if not delivered:
        time.sleep(0.1)
print(json.dumps({"delivered": delivered, "post": post.pk}))
"""

DELIVERED = """
import json
from townsquare.feeds.models import TimelineEntry
print(json.dumps(TimelineEntry.objects.filter(
    owner__username="reader", author__username="author").count()))
"""

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 5.0) -> int:
    try:
        with _opener.open(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str
    output: Path

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_until_up(self, timeout: float = 90.0) -> None:  # migrations, on a busy machine
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited with {self.proc.returncode}:\n{self.text()}")
            try:
                if http_get(self.url + "health", timeout=2) == 200:
                    return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        pytest.fail(f"serve did not answer /health within {timeout}s:\n{self.text()}")


@contextlib.contextmanager
def serving(site: Site, *args: str) -> Iterator[Server]:
    port = free_port()
    output = site.root / f"serve-{port}.log"
    with output.open("w") as log:
        proc = subprocess.Popen(
            [*COMMAND, "serve", "--port", str(port), *args],
            env=site.env,
            cwd=site.root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    server = Server(proc, f"http://127.0.0.1:{port}/", output)
    try:
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                proc.wait(timeout=10)
                pytest.fail(f"serve did not stop on SIGINT:\n{server.text()}")


def journal_mode(database: Path) -> str:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return str(db.execute("PRAGMA journal_mode").fetchone()[0])


def test_serve_starts_answers_http_and_runs_jobs_in_process(tmp_path: Path) -> None:
    site = Site.make(tmp_path, data_dir=tmp_path / "new" / "data")
    assert not site.data_dir.exists()
    with serving(site) as server:
        server.wait_until_up()
        assert f"Townsquare is running at {server.url}" in server.text()
        assert "No job worker" not in server.text()
        assert site.data_dir.is_dir()
        database = site.data_dir / "townsquare.sqlite3"
        assert database.is_file()
        assert journal_mode(database) == "wal"
        assert http_get(server.url + "health") == 200
        assert http_get(server.url) == 200
        # A new site prints a one-time link to its setup wizard, and takes no sign-ups yet.
        link = re.search(r"Set up your site \(this link works once\): (\S+)", server.text())
        assert link, server.text()
        assert link.group(1).startswith(server.url + "setup/")
        assert http_get(link.group(1)) == 200
        assert http_get(server.url + "signup") == 403
        state = site.python_json(POST_AND_WAIT, "15")
        assert state == {"delivered": True, "post": state["post"]}, server.text()
    assert server.proc.returncode in (0, 130), server.text()
    assert "Traceback" not in server.text()


def test_serve_without_worker_leaves_jobs_to_worker_once(
    tmp_path: Path, migrated_database: Path
) -> None:
    site = Site.make(tmp_path, database=migrated_database)
    with serving(site, "--no-worker") as server:
        server.wait_until_up()
        assert "No job worker in this process" in server.text()
        assert http_get(server.url) == 200
        state = site.python_json(POST_AND_WAIT, "1.5")
        assert isinstance(state, dict)
        assert state["delivered"] is False
        assert site.python_json(DELIVERED) == 0
        result = site.townsquare("worker", "--once")
        assert_ok(result)
        assert site.python_json(DELIVERED) == 1
    assert "Traceback" not in server.text()


def test_worker_once_on_a_fresh_data_dir_exits_0(tmp_path: Path) -> None:
    site = Site.make(tmp_path)
    assert_ok(site.townsquare("worker", "--once"))


def test_serve_on_a_busy_port_fails_with_one_line(tmp_path: Path) -> None:
    site = Site.make(tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = site.townsquare("serve", "--port", str(port), timeout=20)
    assert "Traceback" not in result.stdout + result.stderr, str(result)
    assert result.returncode != 0, str(result)
    assert "is running" not in result.stdout, str(result)
    assert len(result.stderr_lines) == 1, str(result)
    assert str(port) in result.stderr_lines[0], str(result)
