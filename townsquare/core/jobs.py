"""Enqueueing jobs so that they are never lost and never run before their data exists.

With the database task backend the job row is written inside the caller's transaction: the
job exists exactly when the rows it works on do. Other backends (Redis at scale) enqueue
once the transaction commits. The worker loop is in core/worker.py.

Priorities (django-tasks' `priority`, higher first; the ready query orders by it):

- INTERACTIVE (50): someone is waiting for it. Fan-out (`fan_out_post`, `fan_out_batch`,
  `fan_out_group_batch`, `notify_subscribers`), notifications and their emails, emails of
  confirmation and password reset (`send_email`), media processing, link previews,
  scheduled posts, poll closings and their notices, event reminders.
- NORMAL (0, django-tasks' default): housekeeping that should not wait long (deleting the
  files of removed media and archives).
- BULK (-50): big or deferrable work, run when nothing above is waiting: digests, data
  exports and imports, hash-list imports, account deletions, home-feed backfills after a
  follow, evidence purges.

Handlers are idempotent: a job may run twice (its worker died after doing the work but
before writing its result), so fan-out inserts ignore duplicates, parts of imports are
recorded, and so on. `retried` retries a job after a passing failure, with backoff; a job
that failed for good is listed on the staff dashboard, where `run_failed_job_again` puts it
back. Scheduled chores (`register_chore`) run once per period across every worker.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend

logger = logging.getLogger(__name__)

INTERACTIVE = 50
NORMAL = 0
BULK = -50

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


class JobFailed(Exception):
    """A job raised; the message carries its traceback."""


class WorkerLost(Exception):
    """Recorded as the error of a job whose workers kept dying while running it."""


def run_pending_jobs(*, raise_failures: bool = True) -> int:
    """Run every job that is ready, in this thread, then return how many ran.

    Used by `townsquare worker --once`, the demo and tests. Unlike the worker loop it never
    closes database connections, so it also works inside a test's transaction.
    """
    from townsquare.core.worker import claim_jobs, mark_successful, process_id, run_job

    ran = 0
    while True:
        jobs = claim_jobs(f"{process_id()}/once", 1)
        if not jobs:
            return ran
        job = jobs[0]
        ok, value = run_job(job)
        ran += 1
        if ok:
            mark_successful([(job, value)])
        elif raise_failures:
            job.refresh_from_db()
            raise JobFailed(f"job {job.task_path} failed:\n{job.traceback or '(no traceback)'}")


MAX_WORKER_DEATHS = 5  # a job whose workers died this many times fails (it may be the cause)


def requeue_stalled_jobs(older_than: timedelta | None = None) -> int:
    """Put back jobs whose worker died while running them (a crash, a kill, a lost machine).

    A job is RUNNING with the ids of the workers that claimed it ("<process>/<thread>"). When
    its last worker's process has not beaten for the heartbeat timeout (or never beat, and
    the job started longer ago than that), the job goes back to READY for the next worker.
    Every job here is safe to run twice. A job whose workers died MAX_WORKER_DEATHS times
    fails instead (it may be what kills them), and is listed with the failures.
    """
    from django_tasks_db.models import DBTaskResult

    from townsquare.core.models import WorkerHeartbeat
    from townsquare.core.worker import heartbeat_timeout

    now = timezone.now()
    cutoff = now - (older_than or timedelta(seconds=heartbeat_timeout()))
    running = list(
        DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).values_list(
            "pk", "worker_ids", "started_at"
        )
    )
    if not running:
        return 0
    alive = set(
        WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("process_id", flat=True)
    )
    requeued = 0
    for pk, worker_ids, started_at in running:
        last = worker_ids[-1] if worker_ids else ""
        if last.rsplit("/", 1)[0] in alive:
            continue
        same_claim = DBTaskResult.objects.filter(pk=pk, status="RUNNING", started_at=started_at)
        if len(worker_ids) >= MAX_WORKER_DEATHS:
            same_claim.update(
                status="FAILED",
                finished_at=now,
                exception_class_path=f"{__name__}.WorkerLost",
                traceback=f"WorkerLost: its worker stopped {len(worker_ids)} times running it",
            )
            continue
        requeued += same_claim.update(status="READY", started_at=None)
    return requeued


def run_failed_job_again(actor: Any, job_id: str) -> bool:
    """The dashboard's "run again" for a job that failed for good: back to the queue as a
    fresh job (its retries counted from zero), audited. False when it is not a failed job
    (run again already, or pruned)."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    from townsquare.moderation.audit import Target, record

    with transaction.atomic():
        job = DBTaskResult.objects.select_for_update().filter(pk=job_id, status="FAILED").first()
        if job is None:
            return False
        kwargs = {k: v for k, v in job.args_kwargs.get("kwargs", {}).items() if k != "_attempt"}
        DBTaskResult.objects.filter(pk=job.pk).update(
            status="READY",
            run_after=get_date_max(),
            started_at=None,
            finished_at=None,
            args_kwargs={"args": job.args_kwargs.get("args", []), "kwargs": kwargs},
            exception_class_path="",
            traceback="",
        )
        name = job.task_path.rsplit(".", 1)[-1]
        record(actor, "job.run_again", target=Target("job", str(job.pk), name))
    return True


HEARTBEATS_KEPT = timedelta(days=1)


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
    from townsquare.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(beat_at__lt=now - HEARTBEATS_KEPT).delete()
    return removed


_CHORES: list[tuple[str, float, Callable[[], object]]] = []


def register_chore(name: str, every: float, func: Callable[[], object]) -> None:
    """Something a janitor does every `every` seconds (apps register theirs when they load).
    However many workers run, one of them runs it per period (`claim_chore`)."""
    if all(existing != name for existing, _, _ in _CHORES):
        _CHORES.append((name, every, func))


NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def claim_chore(name: str, every: float, now: datetime, ran_by: str = "") -> bool:
    """True for the one caller that may run chore `name` now: its last start is moved
    forward in one conditional UPDATE, which concurrent callers cannot both pass (PostgreSQL
    re-checks the condition after waiting for the other's row lock; SQLite writes one at a
    time)."""
    from townsquare.core.models import ChoreRun

    moved = ChoreRun.objects.filter(
        name=name, last_run_at__lte=now - timedelta(seconds=every)
    ).update(last_run_at=now, ran_by=ran_by[:64])
    if moved:
        return True
    if ChoreRun.objects.filter(name=name).exists():
        return False
    ChoreRun.objects.bulk_create(
        [ChoreRun(name=name, last_run_at=NEVER, ran_by="")], ignore_conflicts=True
    )
    return claim_chore(name, every, now, ran_by)


def run_due_chores(now: datetime | None = None, *, ran_by: str = "") -> list[str]:
    """Run the chores that are due and that this caller claims; returns their names. One
    statement reads when each last ran, so a janitor asks for no lock while none is due."""
    from townsquare.core.models import ChoreRun

    now = now or timezone.now()
    last = dict(ChoreRun.objects.values_list("name", "last_run_at"))
    ran = []
    for name, every, func in list(_CHORES):
        if now - last.get(name, NEVER) < timedelta(seconds=every):
            continue
        if not claim_chore(name, every, now, ran_by):
            continue  # another worker has it
        ran.append(name)
        try:
            func()
        except Exception:
            logger.exception("chore %s failed; trying again next period", name)
    return ran


__all__ = [
    "BULK",
    "INTERACTIVE",
    "NORMAL",
    "enqueue",
    "register_chore",
    "requeue_stalled_jobs",
    "retried",
    "run_failed_job_again",
    "run_pending_jobs",
    "task_backends",
]
