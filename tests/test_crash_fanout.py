"""Crash test: `kill -9` a job worker in the middle of a fan-out to 10,000 followers. After a
new worker starts, the fan-out completes and each follower's home feed holds the post exactly
once (jobs are claimed with the worker's id, the dead worker's heartbeat stops, another
worker's janitor puts its jobs back, and the fan-out writes ignore duplicates).

Real `townsquare worker` processes run on a database of their own (a data dir for SQLite, a
database beside the test database on PostgreSQL), not in the test's transaction. Runs in both
passes of the suite.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FOLLOWERS = int(os.environ.get("CRASH_FOLLOWERS", "10000"))
BATCH = 250  # followers per fan-out job: 40 jobs, so the kill lands between some of them
PG_NAME_SUFFIX = "_crash"

REPO = Path(__file__).resolve().parent.parent


def seed() -> None:
    """In a child process: migrate (a no-op when the schema was copied from the test
    database), then an author, 10,000 followers (bulk inserts) and a post whose fan-out job
    is queued. Prints the post's id."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from townsquare.accounts.models import User
    from townsquare.graph.models import Follow
    from townsquare.posts.actions import create_post

    users = [
        User(username=f"reader{n}", email=f"reader{n}@example.org", password="!")
        for n in range(FOLLOWERS)
    ]
    author = User.objects.create(username="ana", email="ana@example.org", password="!")
    User.objects.bulk_create(users, batch_size=2000)
    ids = User.objects.exclude(pk=author.pk).values_list("pk", flat=True)
    Follow.objects.bulk_create(
        [Follow(follower_id=pk, followee_id=author.pk) for pk in ids], batch_size=2000
    )
    post = create_post(author, text="Seed swap on Saturday at the gate.", visibility=0)
    print(post.pk)


def _townsquare() -> list[str]:
    script = Path(sys.executable).with_name("townsquare")
    return [str(script)] if script.exists() else [sys.executable, "-m", "townsquare.cli"]


@contextlib.contextmanager
def _crash_site(tmp_path: Path, test_database: str) -> Iterator[tuple[dict[str, str], Any]]:
    """The environment of the workers, and a function running one SQL query on their
    database (a plain driver connection: no Django, no test transaction)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="townsquare.settings",
        TOWNSQUARE_DATA_DIR=str(tmp_path),
        TOWNSQUARE_FANOUT_BATCH_SIZE=str(BATCH),
        TOWNSQUARE_JOB_CLAIM_BATCH="2",
        TOWNSQUARE_WORKER_HEARTBEAT_TIMEOUT="2",
        TOWNSQUARE_WORKER_POLL_INTERVAL="0.05",
        TOWNSQUARE_LINK_PREVIEWS="false",
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
    )
    url = os.environ.get("TOWNSQUARE_DATABASE_URL", "")
    if not url:
        path = tmp_path / "townsquare.sqlite3"
        # The test database's schema (migrated already: migrating again costs 15 s of CPU).
        with (
            contextlib.closing(sqlite3.connect(test_database)) as source,
            contextlib.closing(sqlite3.connect(path)) as copy,
        ):
            source.backup(copy)

        def query(sql: str) -> Any:
            with contextlib.closing(sqlite3.connect(path, timeout=20)) as db:
                return db.execute(sql).fetchone()[0]

        yield env, query
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    name = name.split("?")[0] + PG_NAME_SUFFIX
    admin = base.replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    env["TOWNSQUARE_DATABASE_URL"] = f"{base}/{name}"
    dsn = f"{base}/{name}".replace("postgres://", "postgresql://")
    source = f"{base}/{test_database}".replace("postgres://", "postgresql://")
    if shutil.which("pg_dump") and shutil.which("psql"):  # else the seed migrates
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", source],
            capture_output=True,
            check=True,
            timeout=60,
        )
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", dsn],
            input=dump.stdout,
            capture_output=True,
            check=True,
            timeout=60,
        )

    def query_pg(sql: str) -> Any:
        with psycopg.connect(dsn, autocommit=True) as db:
            row = db.execute(sql).fetchone()
            return row[0] if row else None

    try:
        yield env, query_pg
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603
            [*_townsquare(), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _wait(probe: Any, what: str, timeout: float, log: Path, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(interval)


def run_seed(module: str, env: dict[str, str]) -> str:
    """Run `module`'s seed() in a child process on the crash site; what it printed."""
    seeded = subprocess.run(
        [sys.executable, "-c", f"from {module} import seed; seed()"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    return seeded.stdout


def test_a_worker_killed_during_a_fan_out_to_10000_followers(tmp_path: Path, db: None) -> None:
    # `db` for the test database's name only (its schema is copied); the workers use a
    # database of their own, and this test writes nothing in its transaction.
    from django.db import connection

    batches = "task_path = 'townsquare.feeds.tasks.fan_out_batch'"
    with _crash_site(tmp_path, connection.settings_dict["NAME"]) as (env, query):
        post_id = int(run_seed("tests.test_crash_fanout", env).split()[-1])
        log = tmp_path / "workers.log"
        first = _start_worker(env, log)
        try:
            # Kill it once some fan-out batches are done and others are not.
            _wait(
                lambda: (
                    query(
                        "SELECT count(*) FROM django_tasks_database_dbtaskresult"
                        f" WHERE {batches} AND status = 'SUCCESSFUL'"
                    )
                    >= 3
                ),
                "the first fan-out batches",
                40,
                log,
            )
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        total = query(f"SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE {batches}")
        done = query(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult"
            f" WHERE {batches} AND status = 'SUCCESSFUL'"
        )
        assert total == FOLLOWERS // BATCH and 0 < done < total, (done, total)
        delivered = query(f"SELECT count(*) FROM feeds_timelineentry WHERE post_id = {post_id}")
        assert delivered < FOLLOWERS

        second = _start_worker(env, log)
        try:
            _wait(
                lambda: (
                    query(
                        "SELECT count(*) FROM django_tasks_database_dbtaskresult"
                        " WHERE status IN ('READY', 'RUNNING')"
                    )
                    == 0
                ),
                "the fan-out to complete after the restart",
                40,
                log,
                interval=0.2,
            )
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(15)
            except subprocess.TimeoutExpired:
                second.kill()
        assert (
            query("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'")
            == 0
        )
        entries = (
            f"FROM feeds_timelineentry WHERE post_id = {post_id}"
            " AND owner_id IN (SELECT follower_id FROM graph_follow)"
        )
        # every follower holds it, none twice (the author holds it too, in their own feed)
        assert query(f"SELECT count(*) {entries}") == FOLLOWERS
        assert query(f"SELECT count(DISTINCT owner_id) {entries}") == FOLLOWERS
        assert query(f"SELECT count(*) FROM feeds_timelineentry WHERE post_id = {post_id}") == (
            FOLLOWERS + 1
        )
    shutil.rmtree(tmp_path, ignore_errors=True)
