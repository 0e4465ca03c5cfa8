"""The job worker loop, its heartbeat and its janitor (`townsquare worker`, and the worker
threads `townsquare serve` runs beside the web server).

It replaces django-tasks-db's `Worker.run` loop, keeping its table (`DBTaskResult`) and its
backend, because the loop cost more than the jobs (measured: 25-55 jobs/s of no-op jobs):

- a worker claims up to TOWNSQUARE_JOB_CLAIM_BATCH ready jobs in one short transaction
  (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, so workers never wait on each other;
  SQLite: the write lock) and one UPDATE, instead of a transaction per job;
- the successes of a batch are written together (one UPDATE per distinct return value);
  failures at once, with their traceback;
- it polls again at once while there is work, and sleeps only when there was none;
- the ready query names the status as a literal, so PostgreSQL uses django-tasks-db's
  partial index of READY jobs even with generic plans (settings: `force_generic_plan`), and
  orders by priority first (core/jobs.py lists the levels).

At least once: a claimed job stays RUNNING with this worker's id in `worker_ids` until its
result is written. A worker process beats (`core.models.WorkerHeartbeat`) every few seconds
from a thread of its own, so a long job does not stop the beat; when a process stops
beating (kill -9, a lost machine) any other worker's janitor puts its RUNNING jobs back to
READY after TOWNSQUARE_WORKER_HEARTBEAT_TIMEOUT seconds (`core.jobs.requeue_stalled_jobs`).
A batch that has run for more than a moment gives its unstarted jobs back, so urgent work
that arrived meanwhile is not kept waiting behind it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
from functools import cache
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

logger = logging.getLogger("townsquare.core.worker")

BATCH_TIME = 0.5  # seconds a claimed batch may run before its unstarted jobs are given back
FLUSH_TIME = 1.0  # seconds a success may wait before it is written


@cache
def process_id() -> str:
    """This process's id among workers: host, pid and a random part (pids are reused)."""
    host = socket.gethostname()[:32]
    return f"{host}-{os.getpid()}-{secrets.token_hex(4)}"


def heartbeat_timeout() -> float:
    return float(settings.TOWNSQUARE["WORKER_HEARTBEAT_TIMEOUT"])


def ready_jobs(now: Any = None) -> Any:
    """Jobs to run now, most urgent first (priority, then the time they became due)."""
    now = now or timezone.now()
    # A literal, not a parameter: PostgreSQL then uses the partial index of READY jobs
    # (a generic plan cannot know that a parameter will be 'READY').
    is_ready = RawSQL("status = 'READY'", (), output_field=BooleanField())
    return (
        DBTaskResult.objects.filter(is_ready, backend_name="default")
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=now))
        .order_by("-priority", "run_after", "enqueued_at")
    )


def claim_jobs(worker_id: str, limit: int) -> list[DBTaskResult]:
    """Mark up to `limit` ready jobs RUNNING for `worker_id`, in one short transaction."""
    now = timezone.now()
    try:
        with exclusive_transaction():
            jobs = list(ready_jobs(now).select_for_update(skip_locked=True)[:limit])
            if not jobs:
                return []
            first_runs = [job.pk for job in jobs if not job.worker_ids]
            if first_runs:
                DBTaskResult.objects.filter(pk__in=first_runs).update(
                    status="RUNNING", started_at=now, worker_ids=[worker_id]
                )
            for job in jobs:
                if job.worker_ids:  # run before, by a worker that died: keep its history
                    DBTaskResult.objects.filter(pk=job.pk).update(
                        status="RUNNING", started_at=now, worker_ids=[*job.worker_ids, worker_id]
                    )
                    job.worker_ids = [*job.worker_ids, worker_id]
                else:
                    job.worker_ids = [worker_id]
                job.status = "RUNNING"
                job.started_at = now
            return jobs
    except OperationalError as exc:
        if is_locked_database_exception(exc):  # SQLite busy beyond its timeout: try later
            return []
        raise


def release_jobs(jobs: list[DBTaskResult]) -> None:
    """Give claimed jobs that were not started back to the queue."""
    if jobs:
        DBTaskResult.objects.filter(pk__in=[j.pk for j in jobs], status="RUNNING").update(
            status="READY", started_at=None
        )


def run_job(job: DBTaskResult) -> tuple[bool, Any]:
    """Run one claimed job in this thread. A failure is written at once (with its traceback);
    a success is returned, (True, its return value), for `mark_successful` to write."""
    backend: Any = None
    try:
        task = job.task
        result = job.task_result
        backend = type(task.get_backend())
        task_started.send(sender=backend, task_result=result)
        if task.takes_context:
            value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
        else:
            value = task.call(*result.args, **result.kwargs)
        json.dumps(value)  # a value the result column cannot hold is the job's failure
    except BaseException as exc:  # noqa: BLE001 (a job's SystemExit must not stop the worker)
        job.set_failed(exc)
        if backend is not None:
            task_finished.send(sender=backend, task_result=job.task_result)
        else:
            logger.error("job %s could not start: %s", job.pk, exc)
        if isinstance(exc, KeyboardInterrupt):
            raise
        return False, None
    job.status = "SUCCESSFUL"
    job.finished_at = timezone.now()
    job.return_value = value
    task_finished.send(sender=backend, task_result=job.task_result)
    return True, value


def mark_successful(done: list[tuple[DBTaskResult, Any]]) -> None:
    """Write the successes of a batch: one UPDATE per distinct return value."""
    groups: dict[str, tuple[Any, list[Any]]] = {}
    for job, value in done:
        key = json.dumps(value, sort_keys=True)
        groups.setdefault(key, (value, []))[1].append(job.pk)
    now = timezone.now()
    for value, ids in groups.values():
        DBTaskResult.objects.filter(pk__in=ids).update(
            status="SUCCESSFUL",
            finished_at=now,
            return_value=value,
            exception_class_path="",
            traceback="",
        )


class JobWorker:
    """Claims ready jobs in batches and runs them until `stop()`."""

    def __init__(self, worker_id: str, *, interval: float, batch: int | None = None) -> None:
        self.worker_id = worker_id
        self.interval = interval
        self.batch = batch or int(settings.TOWNSQUARE["JOB_CLAIM_BATCH"])
        self.stopping = threading.Event()
        self.running_job = False
        self.ran = 0

    def run(self, *, until_empty: bool = False) -> None:
        while not self.stopping.is_set():
            jobs = claim_jobs(self.worker_id, self.batch)
            if not jobs:
                if until_empty:
                    return
                # Idle: drop connections past their age or broken, then wait.
                close_old_connections()
                self.stopping.wait(self.interval)
                continue
            self.run_batch(jobs)

    def run_batch(self, jobs: list[DBTaskResult]) -> None:
        done: list[tuple[DBTaskResult, Any]] = []
        started = last_flush = time.monotonic()
        try:
            for n, job in enumerate(jobs):
                now = time.monotonic()
                if self.stopping.is_set() or (n and now - started > BATCH_TIME):
                    release_jobs(jobs[n:])
                    break
                self.running_job = True
                try:
                    ok, value = run_job(job)
                finally:
                    self.running_job = False
                    self.ran += 1
                if ok:
                    done.append((job, value))
                if done and time.monotonic() - last_flush > FLUSH_TIME:
                    mark_successful(done)
                    done, last_flush = [], time.monotonic()
        finally:
            if done:
                mark_successful(done)

    def stop(self) -> None:
        self.stopping.set()

    def handle_signals(self) -> None:
        """Ctrl+C or SIGTERM: finish the job at hand, then stop; a second one: stop now."""

        def shutdown(signum: int, frame: FrameType | None) -> None:
            if self.stopping.is_set():
                logger.warning("stopping now (%s again)", signal.strsignal(signum))
                sys.exit(1)
            logger.warning("stopping after the job at hand (%s)", signal.strsignal(signum))
            self.stop()

        for name in ("SIGINT", "SIGTERM", "SIGQUIT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), shutdown)


class Heartbeat(threading.Thread):
    """Tells other workers this process is alive, every sixth of the heartbeat timeout."""

    def __init__(self) -> None:
        super().__init__(name="townsquare-heartbeat", daemon=True)
        self.stopping = threading.Event()

    def beat(self) -> None:
        from townsquare.core.models import WorkerHeartbeat

        now = timezone.now()
        if not WorkerHeartbeat.objects.filter(process_id=process_id()).update(beat_at=now):
            WorkerHeartbeat.objects.create(
                process_id=process_id(),
                hostname=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=now,
                beat_at=now,
            )

    def run(self) -> None:
        every = heartbeat_timeout() / 6
        while not self.stopping.is_set():
            try:
                self.beat()
            except Exception:
                logger.exception("could not write the worker heartbeat; trying again")
                connection.close()
            self.stopping.wait(every)
        try:
            from townsquare.core.models import WorkerHeartbeat

            WorkerHeartbeat.objects.filter(process_id=process_id()).delete()
        except Exception:
            logger.exception("could not remove the worker heartbeat")
        finally:
            connection.close()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.join(timeout)


class Janitor(threading.Thread):
    """Beside the workers of a process: requeues the jobs of dead workers and runs the
    scheduled chores that are due (each once per period across every worker)."""

    def __init__(self, every: float | None = None) -> None:
        super().__init__(name="townsquare-janitor", daemon=True)
        self.every = every if every is not None else min(10.0, heartbeat_timeout() / 3)
        self.stopping = threading.Event()

    def run(self) -> None:
        from townsquare.core.jobs import requeue_stalled_jobs, run_due_chores

        while not self.stopping.is_set():
            try:
                if requeued := requeue_stalled_jobs():
                    logger.warning("requeued %d jobs of stopped workers", requeued)
                run_due_chores(ran_by=process_id())
            except Exception:
                logger.exception("the janitor hit an error; trying again later")
                connection.close()
            self.stopping.wait(self.every)
        connection.close()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.join(timeout)


class WorkerThread(threading.Thread):
    """The embedded job worker, running beside the web server in one process. It keeps going
    after an error (say, the database restarting), waiting a little longer each time."""

    count = 0

    def __init__(self, interval: float) -> None:
        super().__init__(name="townsquare-worker", daemon=True)
        WorkerThread.count += 1
        self.worker = JobWorker(f"{process_id()}/{WorkerThread.count}", interval=interval)

    def run(self) -> None:
        delay = 1.0
        while not self.worker.stopping.is_set():
            try:
                self.worker.run()
            except Exception:
                logger.exception("the job worker hit an error; restarting in %.0f s", delay)
                connection.close()
                self.worker.stopping.wait(delay)
                delay = min(delay * 2, 60.0)
        connection.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the job at hand (waiting up to `timeout` seconds for it)."""
        self.worker.stop()
        self.join(timeout)


def serve_forever(interval: float) -> None:
    """`townsquare worker`: the loop in the main thread, a heartbeat and a janitor beside."""
    heartbeat, janitor = Heartbeat(), Janitor()
    heartbeat.beat()
    heartbeat.start()
    janitor.start()
    worker = JobWorker(f"{process_id()}/0", interval=interval)
    worker.handle_signals()
    try:
        while not worker.stopping.is_set():
            try:
                worker.run()
            except Exception:
                logger.exception("the job worker hit an error; restarting in 1 s")
                connection.close()
                worker.stopping.wait(1.0)
    finally:
        janitor.stop()
        heartbeat.stop()
