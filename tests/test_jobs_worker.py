"""The job worker loop (core/worker.py): batches, priorities, retries with backoff, dead
workers' jobs handed on, the dead-letter list's "run again", and chores run once per period
however many janitors there are."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from tests.conftest import client_of, text_of
from tests.factories import make_user
from townsquare.core import jobs
from townsquare.core.jobs import BULK, INTERACTIVE, enqueue, retried
from townsquare.core.models import ChoreRun, WorkerHeartbeat
from townsquare.core.worker import JobWorker, claim_jobs, process_id
from townsquare.moderation.models import AuditEntry
from townsquare.site import stats

pytestmark = pytest.mark.django_db

ran_log: list[str] = []
FLAKY = {"failures_left": 0}


@task(priority=BULK)
def bulk_job(name: str) -> str:
    ran_log.append(name)
    return name


@task(priority=INTERACTIVE)
def interactive_job(name: str) -> int:
    ran_log.append(name)
    return len(name)


@task()
@retried()
def flaky_job(name: str) -> str:
    if FLAKY["failures_left"]:
        FLAKY["failures_left"] -= 1
        raise OperationalError("database is locked")
    ran_log.append(name)
    return "done"


@task()
def broken_job(plot: int, *, crop: str) -> None:
    raise LookupError(f"no plot {plot} for the {crop}")


@pytest.fixture(autouse=True)
def _fresh() -> None:
    ran_log.clear()
    FLAKY["failures_left"] = 0


def work(batch: int = 20) -> JobWorker:
    worker = JobWorker(f"{process_id()}/test", interval=0.01, batch=batch)
    worker.run(until_empty=True)
    return worker


def test_a_worker_claims_batches_and_writes_every_result() -> None:
    for n in range(45):
        enqueue(interactive_job, "x" * (n % 3 + 1))
    worker = work(batch=20)
    assert worker.ran == 45 and len(ran_log) == 45
    done = DBTaskResult.objects.filter(task_path__endswith="interactive_job")
    assert set(done.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert sorted(set(done.values_list("return_value", flat=True))) == [1, 2, 3]
    assert all(ids == [f"{process_id()}/test"] for ids in done.values_list("worker_ids", flat=True))
    assert not done.filter(finished_at=None).exists()


def test_interactive_work_runs_before_bulk_work() -> None:
    for n in range(5):
        enqueue(bulk_job, f"digest-{n}")
    for n in range(3):
        enqueue(interactive_job, f"fan-out-{n}")
    work(batch=4)
    expected = [f"fan-out-{n}" for n in range(3)] + [f"digest-{n}" for n in range(5)]
    assert ran_log == expected


def test_the_task_definitions_carry_their_priority() -> None:
    from townsquare.accounts import tasks as accounts
    from townsquare.feeds import tasks as feeds
    from townsquare.media import tasks as media
    from townsquare.moderation import hash_imports
    from townsquare.notifications import tasks as notifications

    for interactive in (
        feeds.fan_out_post,
        feeds.fan_out_batch,
        feeds.fan_out_group_batch,
        notifications.send_notification_email,
        accounts.send_email,
        media.process_attachment,
    ):
        assert interactive.priority == INTERACTIVE, interactive.name
    for bulk in (
        notifications.send_digest,
        accounts.build_data_export,
        accounts.apply_data_import,
        hash_imports.import_part,
        feeds.backfill_home,
    ):
        assert bulk.priority == BULK, bulk.name


def test_a_passing_failure_is_retried_later_with_a_growing_delay() -> None:
    FLAKY["failures_left"] = 2
    enqueue(flaky_job, "seedlings")
    delays = []
    for attempt in (1, 2):
        before = timezone.now()
        work()
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.args_kwargs["kwargs"] == {"_attempt": attempt}
        delays.append((retry.run_after - before).total_seconds())
        assert work().ran == 0  # not due yet
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    work()
    assert ran_log == ["seedlings"]
    assert 0.5 < delays[0] < 1.5 and 1.5 < delays[1] < 2.5  # 1 s, then 2 s
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 3


def test_a_job_failing_every_time_fails_for_good_after_its_retries() -> None:
    FLAKY["failures_left"] = 100
    enqueue(flaky_job, "seedlings")
    for _ in range(jobs.MAX_ATTEMPTS):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        work()
    [failed] = DBTaskResult.objects.filter(status="FAILED")
    assert failed.args_kwargs["kwargs"] == {"_attempt": jobs.MAX_ATTEMPTS - 1}
    assert "database is locked" in failed.traceback
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_a_dead_workers_jobs_go_back_once_its_heartbeat_stops() -> None:
    enqueue(interactive_job, "fan-out")
    enqueue(interactive_job, "notify")
    claimed = claim_jobs("host-a-1-abcd/1", 1)
    claim_jobs("host-b-2-ef01/1", 1)
    now = timezone.now()
    for name in ("host-a-1-abcd", "host-b-2-ef01"):
        WorkerHeartbeat.objects.create(process_id=name, started_at=now, beat_at=now)
    long_ago = now - timedelta(minutes=5)
    DBTaskResult.objects.filter(status="RUNNING").update(started_at=long_ago)
    assert jobs.requeue_stalled_jobs() == 0  # both still beating: long jobs are left alone
    WorkerHeartbeat.objects.filter(process_id="host-a-1-abcd").update(
        beat_at=now - timedelta(seconds=31)
    )
    assert jobs.requeue_stalled_jobs() == 1  # a's beat stopped 31 s ago (timeout: 30 s)
    requeued = DBTaskResult.objects.get(pk=claimed[0].pk)
    assert requeued.status == "READY" and requeued.started_at is None
    work()
    assert ran_log == ["fan-out"]
    assert DBTaskResult.objects.get(pk=claimed[0].pk).worker_ids[0] == "host-a-1-abcd/1"


def test_a_job_that_keeps_killing_its_workers_fails_for_good() -> None:
    enqueue(interactive_job, "huge")
    DBTaskResult.objects.update(
        status="RUNNING",
        started_at=timezone.now() - timedelta(minutes=5),
        worker_ids=[f"gone-{n}/1" for n in range(jobs.MAX_WORKER_DEATHS)],
    )
    assert jobs.requeue_stalled_jobs() == 0
    [failed] = DBTaskResult.objects.filter(status="FAILED")
    assert failed.exception_class_path == "townsquare.core.jobs.WorkerLost"


def test_a_worker_beats_and_stops_beating_when_it_stops() -> None:
    from townsquare.core.worker import Heartbeat

    Heartbeat().beat()
    first = WorkerHeartbeat.objects.get(process_id=process_id())
    Heartbeat().beat()
    assert WorkerHeartbeat.objects.get(process_id=process_id()).beat_at >= first.beat_at
    assert WorkerHeartbeat.objects.count() == 1


def test_failed_jobs_are_listed_and_run_again_by_an_admin() -> None:
    enqueue(broken_job, 7, crop="leeks")
    work()
    [failure] = stats.jobs().failures
    assert failure.task_name == "broken_job"
    assert failure.arguments == "7, crop='leeks'"
    assert failure.error == "LookupError: no plot 7 for the leeks"
    moderator = client_of(make_user("moss", role="moderator"))
    page = text_of(moderator.get("/admin"))
    assert "crop=&#x27;leeks&#x27;" in page and "no plot 7 for the leeks" in page
    assert "Run again" not in page  # moderators see the list; running jobs is the admin's
    url = f"/admin/jobs/{failure.id}/again"
    assert moderator.post(url).status_code == 403
    admin_user = make_user("fern", role="admin")
    admin = client_of(admin_user)
    assert "Run again" in text_of(admin.get("/admin"))
    assert admin.post(url).status_code == 302
    job = DBTaskResult.objects.get(pk=failure.id)
    assert job.status == "READY" and job.traceback == "" and job.finished_at is None
    entry = AuditEntry.objects.get(action="job.run_again")
    assert entry.actor_id == admin_user.pk and entry.target_label == "broken_job"
    assert stats.jobs().failures == ()
    admin.post(url)  # twice: nothing more happens
    assert AuditEntry.objects.filter(action="job.run_again").count() == 1
    work()
    assert DBTaskResult.objects.get(pk=failure.id).status == "FAILED"  # still broken


def test_two_janitors_run_a_chore_once_per_period() -> None:
    calls: list[str] = []
    jobs.register_chore("test-sweep", 60, lambda: calls.append("swept"))
    now = timezone.now()
    try:
        assert "test-sweep" in jobs.run_due_chores(now, ran_by="worker-a")
        assert "test-sweep" not in jobs.run_due_chores(now, ran_by="worker-b")
        later = now + timedelta(seconds=30)
        assert "test-sweep" not in jobs.run_due_chores(later, ran_by="worker-b")
        assert calls == ["swept"]
        assert ChoreRun.objects.get(name="test-sweep").ran_by == "worker-a"
        assert "test-sweep" in jobs.run_due_chores(now + timedelta(seconds=61), ran_by="worker-b")
        assert calls == ["swept", "swept"]
    finally:
        jobs._CHORES[:] = [c for c in jobs._CHORES if not c[0].startswith("test-")]


@pytest.mark.django_db(transaction=True)
def test_janitors_racing_in_threads_run_a_chore_once() -> None:
    calls: list[str] = []
    lock = threading.Lock()

    def sweep() -> None:
        with lock:
            calls.append("swept")

    jobs.register_chore("test-race", 3600, sweep)
    now = timezone.now()
    start = threading.Barrier(4)

    def janitor(n: int) -> None:
        start.wait()
        try:
            jobs.claim_chore("test-race", 3600, now, f"janitor-{n}") and sweep()
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=janitor, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert calls == ["swept"]
    finally:
        jobs._CHORES[:] = [c for c in jobs._CHORES if not c[0].startswith("test-")]


def test_a_worker_yields_the_cpu_to_web_requests_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`townsquare worker` lowers its own CPU priority (niceness 10 by default, `--nice 0` to
    keep it), so that on a machine shared with web processes requests are served first."""
    from townsquare import cli
    from townsquare.cli import processes
    from townsquare.core import worker

    class Idle:
        def start(self) -> None: ...
        def stop(self) -> None: ...

    niced: list[int] = []
    monkeypatch.setattr(processes.os, "nice", niced.append)
    monkeypatch.setattr(processes, "_migrate", lambda: None)
    monkeypatch.setattr(worker, "Heartbeat", Idle)
    monkeypatch.setattr(jobs, "requeue_stalled_jobs", lambda: 0)
    monkeypatch.setattr(jobs, "run_pending_jobs", lambda **options: 0)
    parser = cli.build_parser()
    for argv, expected in (
        (["worker", "--once"], [10]),
        (["worker", "--once", "--nice", "3"], [3]),
        (["worker", "--once", "--nice", "0"], []),
    ):
        niced.clear()
        args = parser.parse_args(argv)
        assert cli.cmd_worker(args) == 0
        assert niced == expected, argv
    with pytest.raises(SystemExit):
        parser.parse_args(["worker", "--nice", "25"])  # beyond what the kernel has
