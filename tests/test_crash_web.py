"""Crash test: `kill -9` a web process (`townsquare serve`: granian's main process and its web
workers, the whole process group) while members of the gardening club post through the
client API. No partial rows survive (each post is there with its mentions, hashtags,
poll and options, notifications, feed entry, jobs and idempotency key, or not at all), every
acknowledged post is there, and the site starts again on the same database: it serves the
acknowledged posts, and a client retrying its unanswered requests with their Idempotency-Key
gets each post exactly once.

A real `townsquare serve` runs on a database of its own (a data dir for SQLite, a database
beside the test database on PostgreSQL: tests.test_crash_fanout's crash site), not in the
test's transaction. Runs in both passes of the suite.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.test_crash_fanout import _crash_site, _townsquare, _wait, run_seed

WRITERS = ("fern", "ivy", "basil", "sorrel")  # one client thread each
MOST_PER_WRITER = 60  # a thread stops there: the kill must come first
KILL_AFTER = 32  # acknowledged posts, all writers together
SCOPES = "read write follow push"

Rows = Callable[[str], list[tuple[Any, ...]]]


def seed() -> None:
    """In a child process, on the migrated database: Rosa and the writers, an access token
    each, and Rosa's post that every write answers. Prints them as JSON."""
    import django

    django.setup()
    from tests.tokens import make_app, make_token
    from townsquare.accounts.actions import create_user
    from townsquare.accounts.models import User
    from townsquare.posts.actions import create_post

    app = make_app("Garden club app", SCOPES)
    members: dict[str, dict[str, Any]] = {}
    for name in ("rosa", *WRITERS):
        user = create_user(name, f"{name}@example.org", None, email_confirmed=True)
        members[name] = {"id": user.pk, "token": make_token(user, SCOPES, app, days=1)}
    parent = create_post(
        User.objects.get(pk=members["rosa"]["id"]),
        text="Seed swap at the community garden gate on Saturday: what are you bringing?",
    )
    print(json.dumps({"members": members, "parent": parent.pk}))


@dataclass
class Write:
    """One POST /api/v1/statuses: what was sent, and what came of it."""

    writer: str
    number: int
    started: float = 0.0
    ended: float = 0.0
    status: int | None = None  # None: no answer (the connection broke)
    post_id: int | None = None
    answer: str = ""

    @property
    def key(self) -> str:
        return f"{self.writer}-{self.number}"

    @property
    def other(self) -> str:
        """The other writer it mentions (Rosa, whom it answers, is mentioned too)."""
        return WRITERS[(WRITERS.index(self.writer) + 1) % len(WRITERS)]

    @property
    def tag(self) -> str:
        return f"{self.writer}{self.number}"

    @property
    def text(self) -> str:
        return (
            f"[{self.key}] @rosa I'll bring bean seeds, and @{self.other} the squash"
            f" #seedswap #{self.tag}"
        )

    @property
    def options(self) -> list[str]:
        return ["Runner beans", "Tomatoes", f"Squash {self.key}"]

    def body(self, parent: int) -> bytes:
        return json.dumps(
            {
                "status": self.text,
                "in_reply_to_id": str(parent),
                "visibility": "public",
                "poll": {"options": self.options, "expires_in": 86400},
            }
        ).encode()


def _ports() -> tuple[int, socket.socket]:
    """A free port for the web server, and a socket listening on the next one, where
    `townsquare serve` would start its streaming server: with that port taken it serves
    without one (the streaming server writes nothing, and starting it costs two more Python
    processes on the two cores this runs on)."""
    while True:
        taken = socket.create_server(("127.0.0.1", 0))
        port = int(taken.getsockname()[1]) - 1
        try:
            socket.create_server(("127.0.0.1", port)).close()
        except OSError:
            taken.close()
            continue
        return port, taken


def _request(
    port: int,
    method: str,
    path: str,
    token: str | None = None,
    body: bytes | None = None,
    key: str | None = None,
) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


class Web:
    """`townsquare serve` in a process group of its own (granian's web workers are its
    children, in the same group)."""

    def __init__(self, env: dict[str, str], log: Path, workers: int) -> None:
        self.port, self.streaming_port = _ports()
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    *_townsquare(),
                    "serve",
                    "--host=127.0.0.1",
                    f"--port={self.port}",
                    f"--workers={workers}",
                    "--threads=2",
                    "--no-worker",  # the jobs stay queued: the checks count them
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def __enter__(self) -> Web:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def wait_ready(self) -> None:
        _wait(self.ready, "the web process to serve", 60, self.log, interval=0.1)

    def ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the web process ended:\n{self.log.read_text(errors='replace')[-3000:]}")
        try:
            return _request(self.port, "GET", "/health/ready")[0] == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL to every process of the group, at once; returns once none is left."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.streaming_port.close()
        deadline = time.monotonic() + 10
        while _group_alive(self.process.pid):
            assert time.monotonic() < deadline, "a process of the web server outlived the kill"
            time.sleep(0.02)


def _group_alive(group: int) -> bool:
    """Whether a process of `group` still runs (a dead child waiting to be reaped does not)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after it
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                return True
    return False


@contextlib.contextmanager
def _snapshot(env: dict[str, str]) -> Iterator[Rows]:
    """A function running SQL queries on the site's database, all in one read transaction
    (one snapshot: a commit finishing after the kill cannot land between two of them), on a
    plain driver connection (no Django, no test transaction)."""
    url = env.get("TOWNSQUARE_DATABASE_URL", "")
    if not url:
        path = Path(env["TOWNSQUARE_DATA_DIR"]) / "townsquare.sqlite3"
        with contextlib.closing(sqlite3.connect(path, timeout=20, isolation_level=None)) as db:
            db.execute("BEGIN")
            yield lambda sql: db.execute(sql).fetchall()
            db.execute("ROLLBACK")
        return
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        yield lambda sql: conn.execute(sql).fetchall()
        conn.rollback()


def _write_away(
    port: int, parent: int, writer: str, token: str, log: list[Write], acked: threading.Semaphore
) -> None:
    """One client: posts back to back on one kept-alive connection until its connection
    breaks (the kill) or it has sent MOST_PER_WRITER."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    try:
        for number in range(MOST_PER_WRITER):
            write = Write(writer, number, started=time.monotonic())
            log.append(write)
            try:
                conn.request(
                    "POST",
                    "/api/v1/statuses",
                    body=write.body(parent),
                    headers={**headers, "Idempotency-Key": write.key},
                )
                response = conn.getresponse()
                write.answer = response.read().decode(errors="replace")
            except (OSError, http.client.HTTPException):
                write.ended = time.monotonic()
                return
            write.ended = time.monotonic()
            write.status = response.status
            if response.status != 200:
                return
            write.post_id = int(json.loads(write.answer)["id"])
            acked.release()
    finally:
        conn.close()


def _check_database(
    rows: Rows, members: dict[str, Any], parent: int, sent: dict[str, Write]
) -> dict[str, int]:
    """Every post in the database is complete and was sent once; nothing points at a post
    (or poll) that is not there; the counts kept in rows agree with the rows. Answers each
    post's idempotency key with its id."""
    ids = {name: member["id"] for name, member in members.items()}
    names = {pk: name for name, pk in ids.items()}

    def grouped(sql: str) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = {}
        for owner, value in rows(sql):
            found.setdefault(int(owner), []).append(value)
        return found

    posts = {
        int(pk): (int(author), text, reply_to)
        for pk, author, text, reply_to in rows(
            f"SELECT id, author_id, text, in_reply_to_id FROM posts_post WHERE id <> {parent}"
        )
    }
    mentions = grouped("SELECT post_id, user_id FROM posts_mention")
    tags = grouped(
        "SELECT ph.post_id, h.name FROM posts_posthashtag ph"
        " JOIN posts_hashtag h ON h.id = ph.hashtag_id"
    )
    polls = {int(post): int(poll) for post, poll in rows("SELECT post_id, id FROM polls_poll")}
    options = grouped("SELECT poll_id, title FROM polls_polloption ORDER BY poll_id, position")
    positions = grouped("SELECT poll_id, position FROM polls_polloption")
    notified = grouped("SELECT post_id, kind FROM notifications_notification")
    homes = grouped("SELECT post_id, owner_id FROM feeds_timelineentry")
    keys = {
        (int(user), key): int(result)
        for user, key, result in rows("SELECT user_id, key, result_id FROM api_idempotentrequest")
    }

    made: dict[str, int] = {}
    for pk, (author, text, reply_to) in posts.items():
        key = text[1 : text.index("]")] if text.startswith("[") else ""
        write = sent.get(key)
        assert write is not None and text == write.text, f"post {pk} was never sent: {text!r}"
        assert key not in made, f"{key} made two posts: {made[key]} and {pk}"
        made[key] = pk
        what = f"post {pk} ({key})"
        assert names.get(author) == write.writer and reply_to == parent, what
        assert sorted(mentions.get(pk, [])) == sorted([ids["rosa"], ids[write.other]]), what
        assert sorted(tags.get(pk, [])) == sorted(["seedswap", write.tag]), what
        assert pk in polls, f"{what} lost its poll"
        assert options.get(polls[pk]) == write.options, f"{what}: {options.get(polls[pk])}"
        assert sorted(positions[polls[pk]]) == [0, 1, 2], what
        assert sorted(notified.get(pk, [])) == ["mention", "reply"], what
        assert homes.get(pk) == [author], f"{what} is not in its author's home feed"
        assert keys.get((author, key)) == pk, f"{what}: its idempotency key is missing"

    # Nothing left over from a post that is not there.
    assert not set(mentions) - set(posts), "mentions of missing posts"
    assert not set(tags) - set(posts), "hashtags of missing posts"
    assert not set(polls) - set(posts), "polls of missing posts"
    assert not set(options) - set(polls.values()), "options of missing polls"
    assert not set(notified) - set(posts) - {parent}, "notifications about missing posts"
    assert not set(homes) - set(posts) - {parent}, "feed entries of missing posts"
    assert sorted(keys.values()) == sorted(made.values()), "idempotency keys without their post"
    # Counts kept in rows.
    replies = rows(f"SELECT replies_count FROM posts_post WHERE id = {parent}")[0][0]
    assert replies == len(posts), f"Rosa's post counts {replies} replies, {len(posts)} are there"
    tasks: dict[str, int] = dict(
        rows(
            "SELECT task_path, count(*) FROM django_tasks_database_dbtaskresult GROUP BY task_path"
        )
    )
    assert tasks.get("townsquare.feeds.tasks.fan_out_post") == len(posts) + 1, tasks
    assert tasks.get("townsquare.polls.tasks.close_poll") == len(polls), tasks
    return made


def _schema_copied(query: Any) -> bool:
    """Whether the crash site's database holds the test database's tables (else the web
    process creates them as it starts)."""
    try:
        return bool(query("SELECT count(*) FROM django_migrations"))
    except Exception:
        return False


def _seed(env: dict[str, str]) -> tuple[dict[str, Any], int]:
    """The members (id and token by name) and the id of Rosa's post."""
    site = json.loads(run_seed("tests.test_crash_web", env).splitlines()[-1])
    return site["members"], int(site["parent"])


def test_a_web_process_killed_in_the_middle_of_writes(tmp_path: Path, db: None) -> None:
    # `db` for the test database's name only (its schema is copied); the web process uses a
    # database of its own, and this test writes nothing in its transaction.
    from django.db import connection

    with _crash_site(tmp_path, connection.settings_dict["NAME"]) as (env, query):
        # The site's load shedding (a 503 while the fresh web workers warm up on two busy
        # cores) is not what this test is about: every request runs.
        env["TOWNSQUARE_ADMISSION"] = "false"
        log = tmp_path / "web.log"
        writes: list[Write] = []
        with Web(env, log, workers=2) as web:  # it migrates the database, then serves
            if not _schema_copied(query):
                web.wait_ready()  # the seed needs the tables
            members, parent = _seed(env)  # while the web process starts, if it can
            web.wait_ready()
            acked = threading.Semaphore(0)
            clients = [
                threading.Thread(
                    target=_write_away,
                    args=(web.port, parent, name, members[name]["token"], writes, acked),
                    daemon=True,
                )
                for name in WRITERS
            ]
            for client in clients:
                client.start()
            for _ in range(KILL_AFTER):
                if not acked.acquire(timeout=30):
                    pytest.fail(f"too few answers: {[(w.key, w.status) for w in writes]}")
            killed = time.monotonic()
            web.kill()
            for client in clients:
                client.join(20)
            assert not any(client.is_alive() for client in clients)

        sent = {write.key: write for write in writes}
        lost = [write for write in writes if write.status is None]
        refused = [(w.key, w.status, w.answer[:300]) for w in writes if w.status not in (None, 200)]
        assert not refused, refused
        # The kill came in the middle: every writer was still writing, and requests were on
        # their way when it came.
        assert len(lost) == len(WRITERS), [w.key for w in writes if w.status != 200]
        assert any(write.started < killed for write in lost)
        assert all(write.ended >= killed for write in lost)

        with _snapshot(env) as rows:
            if not env.get("TOWNSQUARE_DATABASE_URL"):  # opening it recovered the WAL
                assert rows("PRAGMA integrity_check") == [("ok",)]
                assert rows("PRAGMA foreign_key_check") == []
            made = _check_database(rows, members, parent, sent)
        acknowledged = {w.key: w.post_id for w in writes if w.post_id is not None}
        assert len(acknowledged) >= KILL_AFTER
        missing = {key: pk for key, pk in acknowledged.items() if made.get(key) != pk}
        assert not missing, f"acknowledged, then lost: {missing}"

        # The site starts again on the same database, serves what it acknowledged, and
        # takes writes: a client retrying its unanswered requests gets each post once.
        with Web(env, log, workers=1) as web:
            web.wait_ready()
            for key, pk in acknowledged.items():
                token = members[sent[key].writer]["token"]
                status, answer = _request(web.port, "GET", f"/api/v1/statuses/{pk}", token)
                assert status == 200, (key, status, answer[:300])
                entity = json.loads(answer)
                assert f"[{key}]" in entity["content"], entity["content"]
                assert [o["title"] for o in entity["poll"]["options"]] == sent[key].options
                tags = sorted(t["name"] for t in entity["tags"])
                assert tags == sorted(["seedswap", sent[key].tag]), tags
                assert len(entity["mentions"]) == 2 and entity["in_reply_to_id"] == str(parent)
            for write in lost:
                token = members[write.writer]["token"]
                status, answer = _request(
                    web.port, "POST", "/api/v1/statuses", token, write.body(parent), write.key
                )
                assert status == 200, (write.key, status, answer[:300])
                if write.key in made:  # it was written before the kill: the same post
                    assert int(json.loads(answer)["id"]) == made[write.key], write.key
        with _snapshot(env) as rows:
            assert set(_check_database(rows, members, parent, sent)) == set(sent)
    shutil.rmtree(tmp_path, ignore_errors=True)
