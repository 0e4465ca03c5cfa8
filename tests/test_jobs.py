"""Jobs are durable: written with the data they work on, and retried after a passing failure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.feeds import tasks as feed_tasks
from townsquare.feeds.queries import home_feed

pytestmark = pytest.mark.django_db


def test_posting_writes_its_fan_out_job_in_the_same_transaction() -> None:
    author = make_user("ana")
    post = make_post(author, "Compost day")
    job = DBTaskResult.objects.get(task_path="townsquare.feeds.tasks.fan_out_post")
    assert job.args_kwargs["args"] == [post.pk]
    assert job.status == "READY"


def test_a_fan_out_batch_that_hits_a_database_error_is_retried_not_lost(monkeypatch) -> None:
    author, reader = make_user("ana"), make_user("ben")
    follow(reader, author)
    run_jobs()
    real = feed_tasks.add_post_to_homes
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(feed_tasks, "add_post_to_homes", flaky)
    post = make_post(author, "Seedlings for the swap")
    run_jobs()
    assert home_feed(reader).posts == []  # failed once; the retry waits its turn
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"_attempt": 1}
    assert retry.run_after is not None and retry.run_after > timezone.now()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now() - timedelta(seconds=1))
    run_jobs()
    assert [p.pk for p in home_feed(reader).posts] == [post.pk]


def test_a_job_whose_worker_died_is_run_again_not_lost() -> None:
    from townsquare.core.jobs import requeue_stalled_jobs

    author, reader = make_user("ana"), make_user("ben")
    follow(reader, author)
    run_jobs()
    post = make_post(author, "Apple pressing on Sunday")
    job = DBTaskResult.objects.get(status="READY")
    job.claim("a-worker-that-then-crashed")  # claimed, never finished
    assert run_jobs_count() == 0 and [p.pk for p in home_feed(reader).posts] == []
    assert requeue_stalled_jobs() == 0  # a job running for a short while is left alone
    DBTaskResult.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert requeue_stalled_jobs() == 1
    run_jobs()
    assert [p.pk for p in home_feed(reader).posts] == [post.pk]


def run_jobs_count() -> int:
    from townsquare.core.jobs import run_pending_jobs

    return run_pending_jobs()


def test_janitor_chores_run_when_due_and_survive_errors() -> None:
    from townsquare.core import jobs

    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("disk on fire")

    jobs.register_chore("test-chore", 10, lambda: calls.append("ran"))
    jobs.register_chore("test-broken", 10, broken)
    start = timezone.now()
    try:
        jobs.run_due_chores(start)
        jobs.run_due_chores(start + timedelta(seconds=5))  # not due yet
        jobs.run_due_chores(start + timedelta(seconds=11))
        assert calls.count("ran") == 2 and calls.count("broken") == 2
        # The media app registered its clean-up of abandoned uploads.
        assert any(name == "media-orphans" for name, _, _ in jobs._CHORES)
    finally:
        jobs._CHORES[:] = [c for c in jobs._CHORES if not c[0].startswith("test-")]


def test_finished_jobs_are_pruned_after_their_keeping_time_and_work_to_do_is_kept() -> None:
    from townsquare.core.jobs import prune_finished_jobs

    author, reader = make_user(), make_user()
    follow(reader, author)
    make_post(author)
    make_post(author)
    run_jobs()
    make_post(author)  # enqueued, not run yet
    done = DBTaskResult.objects.filter(status="SUCCESSFUL")
    assert done.exists()
    waiting = set(DBTaskResult.objects.filter(status="READY").values_list("pk", flat=True))
    assert waiting
    old = list(done.values_list("pk", flat=True))[:1]
    DBTaskResult.objects.filter(pk__in=old).update(finished_at=timezone.now() - timedelta(days=4))
    failed = DBTaskResult.objects.filter(status="SUCCESSFUL").exclude(pk__in=old).first()
    assert failed is not None
    DBTaskResult.objects.filter(pk=failed.pk).update(
        status="FAILED", finished_at=timezone.now() - timedelta(days=4)
    )
    assert prune_finished_jobs() == 1
    assert not DBTaskResult.objects.filter(pk__in=old).exists()
    assert DBTaskResult.objects.filter(pk=failed.pk).exists()  # failures are kept for 30 days
    assert waiting <= set(DBTaskResult.objects.values_list("pk", flat=True))
    assert prune_finished_jobs(timezone.now() + timedelta(days=31)) >= 1
    assert not DBTaskResult.objects.filter(pk=failed.pk).exists()
    assert waiting <= set(DBTaskResult.objects.values_list("pk", flat=True))
