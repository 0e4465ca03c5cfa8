#!/usr/bin/env python3
"""Job throughput: how many jobs per second `townsquare worker` processes run, on SQLite and on
PostgreSQL (issue 8's target: >= 500 jobs/s on 2 cores).

    .venv/bin/python bench/job_bench.py [--database sqlite|postgres|both] [--jobs 5000]
                                        [--workers 1 2 4]

For each database and number of workers it
  1. makes a fresh database (a data dir for SQLite; the database `townsquare_jobbench` on the
     PostgreSQL server of TOWNSQUARE_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1/)
     and enqueues `--jobs` jobs through `core.jobs.enqueue`, 500 per transaction: the
     enqueue rate;
  2. starts the workers, times from their start until no job is waiting or running: jobs/s
     (queue overhead: each job is `media.tasks.delete_files([])`, which does no work);
  3. prints a table and writes bench/results/<timestamp>-jobs.json.

Only loopback services are used; every process is stopped on exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/"
PG_NAME = "townsquare_jobbench"
BATCH = 500


def log(message: str) -> None:
    print(f"[jobs {time.strftime('%H:%M:%S')}] {message}", flush=True)


def environment(database: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOWNSQUARE_")}
    env["TOWNSQUARE_DATA_DIR"] = str(data_dir)
    env["TOWNSQUARE_WORKER_POLL_INTERVAL"] = "0.05"
    if database == "postgres":
        base = os.environ.get("TOWNSQUARE_BENCH_POSTGRES_URL", PG_DEFAULT).rstrip("/")
        env["TOWNSQUARE_DATABASE_URL"] = f"{base}/{PG_NAME}"
    return env


def fresh_postgres() -> None:
    import psycopg

    base = os.environ.get("TOWNSQUARE_BENCH_POSTGRES_URL", PG_DEFAULT).rstrip("/")
    with psycopg.connect(
        base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_NAME}")


def child(action: str, count: int) -> None:
    """In a child process with the data set's environment: migrate and enqueue, or count."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "townsquare.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from townsquare.core.jobs import enqueue
    from townsquare.media.tasks import delete_files

    if action == "enqueue":
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        for first in range(0, count, BATCH):
            with transaction.atomic():
                for _ in range(min(BATCH, count - first)):
                    enqueue(delete_files, [])
        print(json.dumps({"seconds": time.perf_counter() - started}))
    else:
        left = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
        failed = DBTaskResult.objects.filter(status="FAILED").count()
        print(json.dumps({"left": left, "failed": failed}))


def run_child(env: dict[str, str], action: str, count: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "_child", action, str(count)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: the {action} step failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def townsquare() -> list[str]:
    found = Path(sys.executable).with_name("townsquare")
    return [str(found)] if found.exists() else [sys.executable, "-m", "townsquare.cli"]


def measure(database: str, jobs: int, workers: int) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"jobbench-{database}-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if database == "postgres":
            fresh_postgres()
        env = environment(database, data_dir)
        enqueued = run_child(env, "enqueue", jobs)
        logs = []
        started = time.perf_counter()
        for n in range(workers):
            path = data_dir / f"worker-{n}.log"
            logs.append(path)
            with path.open("wb") as out:
                procs.append(
                    subprocess.Popen(  # noqa: S603
                        [*townsquare(), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
                    )
                )
        left = float(jobs)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            state = run_child(env, "count", 0)
            left = state["left"]
            if not left:
                break
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"bench: a worker died:\n{logs[0].read_text()[-2000:]}")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        result = {
            "database": database,
            "workers": workers,
            "jobs": jobs,
            "enqueue_per_s": round(jobs / enqueued["seconds"]),
            # Includes the workers' start (about 1-2 s of Django setup each, in parallel).
            "jobs_per_s": round((jobs - left) / elapsed),
            "seconds": round(elapsed, 2),
            "failed": state["failed"],
            "left": left,
        }
        log(str(result))
        return result
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    log(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    rows = [measure(db, args.jobs, n) for db in databases for n in args.workers]
    print(f"\n{'database':<10} {'workers':>7} {'jobs':>7} {'enqueue/s':>10} {'jobs/s':>8}")
    for row in rows:
        print(
            f"{row['database']:<10} {row['workers']:>7} {row['jobs']:>7} "
            f"{row['enqueue_per_s']:>10} {row['jobs_per_s']:>8}"
        )
    out = BENCH / "results" / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-jobs.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.node(), "rows": rows}, indent=2))
    log(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
