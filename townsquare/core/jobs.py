"""Enqueueing jobs so that they are never lost and never run before their data exists.

With the database task backend the job row is written inside the caller's transaction: the
job exists exactly when the rows it works on do. Other backends (Redis at scale) enqueue
once the transaction commits.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
MAX_ATTEMPTS = 6


def retried(
    *transient: type[BaseException],
) -> Callable[[Callable[P, R]], Callable[P, R | None]]:
    """Retry a job later (1, 2, 4, ... seconds) when it failed for a passing reason (the
    database briefly unavailable or locked, or any of `transient`), instead of losing the
    work. Apply it under ``@task()``."""
    errors: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, *transient)

    def decorate(func: Callable[P, R]) -> Callable[P, R | None]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> R | None:
            attempt = int(kwargs.pop("_attempt", 0))
            try:
                return func(*args, **kwargs)
            except errors:
                if attempt + 1 >= MAX_ATTEMPTS:
                    raise
                this_task: Task[Any, Any] = getattr(sys.modules[func.__module__], func.__name__)
                later = timezone.now() + timedelta(seconds=2**attempt)
                logger.warning("job %s failed; retry %d later", func.__name__, attempt + 1)
                this_task.using(run_after=later).enqueue(*args, _attempt=attempt + 1, **kwargs)
                return None

        return wrapper

    return decorate


def enqueue(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def make_worker(*, interval: float, batch: bool = False) -> Any:
    """A django-tasks-db worker for every queue of the default backend."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"townsquare-{os.getpid()}-{secrets.token_hex(4)}",
        excluded_queue_names=[],
    )


class JobFailed(Exception):
    """A job raised; the message carries its traceback."""


def run_pending_jobs(*, raise_failures: bool = True) -> int:
    """Run every job that is ready, in this thread, then return how many ran.

    Used by `townsquare worker --once`, the demo and tests. Unlike the worker loop it never
    closes database connections, so it also works inside a test's transaction.
    """
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = make_worker(interval=0, batch=True)
    ran = 0
    while True:
        with exclusive_transaction():
            job = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if job is None:
                return ran
            job.claim(worker.worker_id)
        worker.run_task(job)
        ran += 1
        job.refresh_from_db()
        if raise_failures and job.status == "FAILED":
            errors = job.task_result.errors
            detail = errors[-1].traceback if errors else "(no traceback)"
            raise JobFailed(f"job {job.task_path} failed:\n{detail}")


STALLED_AFTER = timedelta(minutes=10)


def requeue_stalled_jobs(older_than: timedelta = STALLED_AFTER) -> int:
    """Put back jobs whose worker died while running them (a crash, a kill, a restart).

    django-tasks-db marks a job RUNNING when a worker claims it and nothing else ever looks
    at it again. Every job here is safe to run twice (fan-out writes ignore duplicates), so a
    job still RUNNING long after it started is handed to the next worker instead of lost.
    """
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - older_than
    return DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).update(
        status="READY", started_at=None
    )


FINISHED_JOBS_KEPT = timedelta(days=3)  # successful jobs, then deleted
FAILED_JOBS_KEPT = timedelta(days=30)  # failed ones stay longer: the dashboard lists them
PRUNE_BATCH = 5000


def prune_finished_jobs(now: datetime | None = None) -> int:
    """Delete finished job rows past their keeping time, a batch at a time (each batch one
    short statement), so the job table holds the work to do and recent history, not every
    job ever run."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    removed = 0
    for status, kept in (("SUCCESSFUL", FINISHED_JOBS_KEPT), ("FAILED", FAILED_JOBS_KEPT)):
        while True:
            batch = list(
                DBTaskResult.objects.filter(status=status, finished_at__lt=now - kept).values_list(
                    "pk", flat=True
                )[:PRUNE_BATCH]
            )
            if not batch:
                break
            removed += DBTaskResult.objects.filter(pk__in=batch).delete()[0]
    return removed


_CHORES: list[tuple[str, float, Callable[[], object]]] = []


def register_chore(name: str, every: float, func: Callable[[], object]) -> None:
    """Something the janitor does every `every` seconds beside each worker (apps register
    theirs when they load). Chores must be harmless when several workers run them at once."""
    if all(existing != name for existing, _, _ in _CHORES):
        _CHORES.append((name, every, func))


def run_due_chores(last_run: dict[str, float], now: float) -> None:
    for name, every, func in _CHORES:
        if now - last_run.get(name, 0.0) < every:
            continue
        last_run[name] = now
        try:
            func()
        except Exception:
            logger.exception("chore %s failed; trying again later", name)


class Janitor(threading.Thread):
    """Requeues stalled jobs now and then, and runs the registered chores, beside a worker."""

    def __init__(self, every: float = 60.0) -> None:
        super().__init__(name="townsquare-janitor", daemon=True)
        self.every = every
        self.stopping = threading.Event()

    def run(self) -> None:
        last_run: dict[str, float] = {}
        while not self.stopping.is_set():
            try:
                if requeued := requeue_stalled_jobs():
                    logger.warning("requeued %d stalled jobs", requeued)
                run_due_chores(last_run, time.monotonic())
            except Exception:
                logger.exception("could not requeue stalled jobs; trying again later")
            finally:
                connection.close()
            self.stopping.wait(self.every)

    def stop(self) -> None:
        self.stopping.set()


class WorkerThread(threading.Thread):
    """The embedded job worker, running beside the web server in one process. It keeps going
    after an error (say, the database restarting), waiting a little longer each time."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="townsquare-worker", daemon=True)
        self.worker = make_worker(interval=interval)
        self.stopping = threading.Event()

    def run(self) -> None:
        delay = 1.0
        while not self.stopping.is_set():
            try:
                self.worker.run()
            except Exception:
                logger.exception("the job worker hit an error; restarting in %.0f s", delay)
                connection.close()
                self.stopping.wait(delay)
                delay = min(delay * 2, 60.0)
                self.worker.running = not self.stopping.is_set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the job at hand (waiting up to `timeout` seconds for it)."""
        self.stopping.set()
        self.worker.running = False
        self.join(timeout)


__all__ = [
    "Janitor",
    "WorkerThread",
    "enqueue",
    "make_worker",
    "requeue_stalled_jobs",
    "run_pending_jobs",
    "task_backends",
]
