"""Figures for the operator's dashboard. Read only, and cheap whatever the size of the site:
each figure is one statement (counted and bucketed in SQL, never row by row in Python), so
the dashboard costs the same few statements on a club of ten and a town of thousands.

Definitions (the dashboard states them too):
- a *member* is an account that can log in (active, not waiting for approval, not disabled)
  and is not a page;
- a member is *active* in a period when one of their signed-in browsers was seen
  (`UserSession.last_seen_at`, recorded at most every few minutes) or they posted in it;
- *posts* leave out shares (a share has no text of its own);
- days are calendar days in the site's time zone, today included.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, Exists, F, Min, OuterRef, Q, QuerySet, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from townsquare.core.ids import id_for_time

DAYS = 30  # the charts' span
ACTIVE_WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
FAILED_JOBS_DAYS = 7
FAILURES_SHOWN = 10
STORAGE_CACHE_KEY = "townsquare:dashboard:storage"
STORAGE_CACHE_SECONDS = 300

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DailySeries:
    """One count per day, oldest first, with no day missing (a quiet day counts 0)."""

    days: tuple[date, ...]
    values: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.values)

    @property
    def peak(self) -> int:
        return max(self.values, default=0)

    def points(self) -> list[tuple[date, int]]:
        return list(zip(self.days, self.values, strict=True))


@dataclass(frozen=True)
class Members:
    total: int
    active_day: int
    active_week: int
    active_month: int


@dataclass(frozen=True)
class FailedJob:
    task: str  # the task's dotted path, e.g. "townsquare.feeds.tasks.fan_out"
    finished_at: datetime | None
    exception: str  # the exception class's dotted path
    id: str = ""  # the job's id, for "run again"
    arguments: str = ""  # its arguments, shortened
    error: str = ""  # the last line of its traceback (the exception and its message)

    @property
    def task_name(self) -> str:
        return self.task.rsplit(".", 1)[-1]

    @property
    def exception_name(self) -> str:
        return self.exception.rsplit(".", 1)[-1] or "?"


@dataclass(frozen=True)
class Jobs:
    measured: bool  # False: the job backend is not the database's, so nothing is counted
    waiting: int = 0  # ready to run now
    scheduled: int = 0  # to run at a later time (a poll's closing, a digest)
    running: int = 0
    failed: int = 0  # failed in the last FAILED_JOBS_DAYS days
    oldest_waiting: datetime | None = None  # since when the longest-waiting job is due
    failures: tuple[FailedJob, ...] = ()


@dataclass(frozen=True)
class System:
    version: str
    database: str  # the database's vendor: "sqlite", "postgresql"
    cache: str  # the cache backend's class name
    redis_configured: bool
    jobs_backend: str
    storage: str  # the media storage's class name


@dataclass(frozen=True)
class Overview:
    members: Members
    posts: int
    pending_applications: int
    members_per_day: DailySeries  # members at the end of each day
    signups: DailySeries
    posts_per_day: DailySeries
    reports: DailySeries
    storage_bytes: int | None  # None: not measured (another storage, or the bucket unreachable)
    jobs: Jobs
    system: System


def _days(today: date) -> tuple[date, ...]:
    return tuple(today - timedelta(days=DAYS - 1 - n) for n in range(DAYS))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def per_day(queryset: QuerySet[Any], today: date | None = None) -> DailySeries:
    """Rows of `queryset` (a model with `created_at` and a time-ordered id) created on each
    of the last DAYS days: one statement, grouped by day in the database."""
    days = _days(today or timezone.localdate())
    start = _start_of(days[0])
    rows = (
        # The id bound lets the database read the recent rows only (ids are time-ordered).
        queryset.filter(pk__gte=id_for_time(start.timestamp()), created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    counted = {day: n for day, n in rows}
    return DailySeries(days=days, values=tuple(counted.get(day, 0) for day in days))


def _members_queryset() -> QuerySet[Any]:
    from townsquare.accounts.models import User

    return User.objects.filter(is_active=True, is_page=False)


def members(now: datetime | None = None) -> Members:
    """Members, and how many were active in the last day, week and month: one statement
    (each member costs a few index look-ups, on their sessions and their latest posts)."""
    from townsquare.accounts.models import UserSession
    from townsquare.posts.models import Post

    now = now or timezone.now()

    def active(since: datetime) -> Q:
        seen = UserSession.objects.filter(user=OuterRef("pk"), last_seen_at__gte=since)
        posted = Post.objects.filter(
            author=OuterRef("pk"), pk__gte=id_for_time(since.timestamp()), created_at__gte=since
        )
        return Q(Exists(seen)) | Q(Exists(posted))

    counts = _members_queryset().aggregate(
        total=Count("pk"),
        **{
            f"active_{name}": Count("pk", filter=active(now - span))
            for name, span in ACTIVE_WINDOWS.items()
        },
    )
    return Members(**{key: int(value or 0) for key, value in counts.items()})


def members_per_day(total: int, today: date | None = None) -> DailySeries:
    """Members at the end of each of the last DAYS days, counted back from `total` (today's
    members) through the days members joined: one statement. Accounts gone since (deleted,
    disabled) are left out of the past days too."""
    joined = per_day(_members_queryset(), today)
    values: list[int] = []
    running = total
    for n in reversed(joined.values):
        values.append(running)
        running -= n
    return DailySeries(days=joined.days, values=tuple(reversed(values)))


def post_count() -> int:
    from townsquare.posts.models import Post

    return Post.objects.filter(reblog_of__isnull=True).count()


def signups_per_day(today: date | None = None) -> DailySeries:
    """Accounts created each day (pages left out; applicants counted when they apply)."""
    from townsquare.accounts.models import User

    return per_day(User.objects.filter(is_page=False), today)


def posts_per_day(today: date | None = None) -> DailySeries:
    from townsquare.posts.models import Post

    return per_day(Post.objects.filter(reblog_of__isnull=True), today)


def reports_per_day(today: date | None = None) -> DailySeries:
    from townsquare.moderation.models import Report

    return per_day(Report.objects.all(), today)


def pending_applications() -> int:
    from townsquare.accounts.registration import pending_count

    return pending_count()


def _folder_size(root: str) -> int:
    total = 0
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue  # removed while we walked
    return total


def _bucket_size(storage: Any) -> int | None:
    """Bytes of the objects under the storage's prefix in its bucket (listed a thousand at a
    time); None when the bucket cannot be listed (the health report says why)."""
    from botocore.exceptions import BotoCoreError, ClientError

    prefix = f"{storage.location}/" if storage.location else ""
    try:
        return sum(int(item.size) for item in storage.bucket.objects.filter(Prefix=prefix))
    except (BotoCoreError, ClientError) as exc:
        logger.warning("media storage size: cannot list the bucket (%s)", exc)
        return None


def storage_used() -> int | None:
    """Bytes of uploaded media: the media folder on this disk walked, or the objects under the
    media prefix of the S3-compatible bucket listed, at most every few minutes; None when the
    storage is neither or the bucket cannot be listed right now."""
    from django.core.files.storage import FileSystemStorage, storages

    from townsquare.media.s3 import is_remote

    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        folder: str | None = str(storage.location)
    elif is_remote(storage):
        folder = None  # a bucket
    else:
        return None
    cached = cache.get(STORAGE_CACHE_KEY)
    if cached is not None:
        return int(cached)
    size = _folder_size(folder) if folder is not None else _bucket_size(storage)
    if size is not None:
        cache.set(STORAGE_CACHE_KEY, size, STORAGE_CACHE_SECONDS)
    return size


def database_jobs() -> bool:
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def _no_time() -> datetime:
    from django_tasks_db.models import get_date_max

    return get_date_max()  # the run_after of a job to run as soon as possible


def due_jobs(now: datetime) -> Q:
    """Jobs ready to run now (not those scheduled for later)."""
    return Q(status="READY") & (Q(run_after=_no_time()) | Q(run_after__lte=now))


def due_since() -> Case:
    """When a ready job became due: when it was queued, or the time it was scheduled for."""
    return Case(When(run_after=_no_time(), then=F("enqueued_at")), default=F("run_after"))


def _arguments(args_kwargs: Any, limit: int = 80) -> str:
    """A job's arguments as a short line: `12, 34, _attempt=5`."""
    args_kwargs = args_kwargs if isinstance(args_kwargs, dict) else {}
    parts = [repr(a) for a in args_kwargs.get("args", [])]
    parts += [f"{k}={v!r}" for k, v in args_kwargs.get("kwargs", {}).items()]
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _last_line(traceback: str, limit: int = 200) -> str:
    lines = [line for line in (traceback or "").splitlines() if line.strip()]
    text = lines[-1].strip() if lines else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def jobs(now: datetime | None = None) -> Jobs:
    """The job queue: due, scheduled, running and recently failed jobs (one statement), and
    the latest failures with their task and exception (one more)."""
    if not database_jobs():
        return Jobs(measured=False)
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    since = now - timedelta(days=FAILED_JOBS_DAYS)
    recent_failure = Q(status="FAILED", finished_at__gte=since)
    due = due_jobs(now)
    counts = DBTaskResult.objects.order_by().aggregate(
        waiting=Count("pk", filter=due),
        scheduled=Count("pk", filter=Q(status="READY") & ~due),
        running=Count("pk", filter=Q(status="RUNNING")),
        failed=Count("pk", filter=recent_failure),
        oldest_waiting=Min(due_since(), filter=due),
    )
    failures = tuple(
        FailedJob(
            task=task,
            finished_at=finished_at,
            exception=exception,
            id=str(pk),
            arguments=_arguments(args_kwargs),
            error=_last_line(traceback),
        )
        for pk, task, finished_at, exception, args_kwargs, traceback in DBTaskResult.objects.filter(
            recent_failure
        )
        .order_by("-finished_at")
        .values_list(
            "pk", "task_path", "finished_at", "exception_class_path", "args_kwargs", "traceback"
        )[:FAILURES_SHOWN]
    )
    return Jobs(
        measured=True,
        waiting=int(counts["waiting"] or 0),
        scheduled=int(counts["scheduled"] or 0),
        running=int(counts["running"] or 0),
        failed=int(counts["failed"] or 0),
        oldest_waiting=counts["oldest_waiting"],
        failures=failures,
    )


def system() -> System:
    """What the site runs on (no statement)."""
    from django.core.files.storage import storages

    import townsquare

    return System(
        version=townsquare.__version__,
        database=connection.vendor,
        cache=str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1],
        redis_configured=bool(settings.CONFIG.redis_url),
        jobs_backend=str(settings.TASKS["default"]["BACKEND"]).rsplit(".", 1)[-1],
        storage=type(storages["default"]).__name__,
    )


def overview(now: datetime | None = None) -> Overview:
    """Every figure of the dashboard: nine statements (and a walk of the media folder every
    few minutes)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counted = members(now)
    return Overview(
        members=counted,
        posts=post_count(),
        pending_applications=pending_applications(),
        members_per_day=members_per_day(counted.total, today),
        signups=signups_per_day(today),
        posts_per_day=posts_per_day(today),
        reports=reports_per_day(today),
        storage_bytes=storage_used(),
        jobs=jobs(now),
        system=system(),
    )
