"""Is the site configured and connected right? What `townsquare check` prints and the staff
dashboard shows: one function, so both always say the same thing.

A *problem* stops the site from working (`townsquare check` exits with status 2): the
database or Redis cannot be reached, a Django system check fails. A *note* is worth knowing
but does not (database migrations still to apply, jobs waiting with no worker taking them).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Jobs that were ready longer than this with none taken: no job worker seems to run.
JOBS_WAITING_TOO_LONG = timedelta(minutes=5)


@dataclass(frozen=True)
class Health:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data_dir: str = ""
    base_url: str = ""
    database: str = ""  # the Django engine's last part: "sqlite3", "postgresql"
    redis_configured: bool = False
    email_smtp: bool = False
    email_folder: str = ""  # where mail is written when no SMTP server is configured
    video_limit: str | None = None  # None: ffmpeg transcodes video; otherwise why not
    media_storage: str = ""  # the local media folder, or the S3 bucket

    @property
    def ok(self) -> bool:
        return not self.problems


def check_services() -> list[str]:
    """Connect to the database and Redis; one line per problem, naming the variable."""
    from django.conf import settings
    from django.db import connection
    from django.db.utils import Error as DatabaseError

    problems = []
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problems.append(
            _("TOWNSQUARE_DATABASE_URL: cannot use the database (%(error)s)") % {"error": first}
        )
    if settings.CONFIG.redis_url:
        import redis

        try:
            redis.Redis.from_url(settings.CONFIG.redis_url, socket_connect_timeout=3).ping()
        except (redis.RedisError, OSError, ValueError) as exc:
            problems.append(
                _("TOWNSQUARE_REDIS_URL: cannot reach Redis (%(error)s)") % {"error": exc}
            )
    from townsquare.media.s3 import bucket_problem

    if bucket := bucket_problem():
        problems.append(bucket)
    return problems


def _pending_migrations() -> int:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _jobs_note() -> str | None:
    """A note when jobs have been due for a while and no worker took them."""
    from django_tasks_db.models import DBTaskResult

    from townsquare.site import stats

    if not stats.database_jobs():
        return None
    now = timezone.now()
    late = (
        DBTaskResult.objects.filter(stats.due_jobs(now))
        .alias(due_since=stats.due_since())
        .filter(due_since__lt=now - JOBS_WAITING_TOO_LONG)
    )
    if not late.exists():
        return None
    minutes = int(JOBS_WAITING_TOO_LONG.total_seconds() // 60)
    return ngettext(
        "jobs have waited more than %(minutes)d minute: is a job worker running? "
        "(`townsquare serve` runs one unless --no-worker; else run `townsquare worker`)",
        "jobs have waited more than %(minutes)d minutes: is a job worker running? "
        "(`townsquare serve` runs one unless --no-worker; else run `townsquare worker`)",
        minutes,
    ) % {"minutes": minutes}


def check() -> Health:
    """Check the configuration and the services the site uses (a few statements, and a
    Redis ping when Redis is configured)."""
    from django.conf import settings
    from django.core.checks import ERROR, run_checks
    from django.db.utils import Error as DatabaseError

    from townsquare.media import s3
    from townsquare.media.video import ffmpeg_status

    problems = check_services()
    problems += [str(message) for message in run_checks() if message.level >= ERROR]
    notes: list[str] = []
    if not problems:
        try:
            pending = _pending_migrations()
            if pending:
                notes.append(
                    ngettext(
                        "%(count)d database migration will be applied by `townsquare serve`",
                        "%(count)d database migrations will be applied by `townsquare serve`",
                        pending,
                    )
                    % {"count": pending}
                )
            elif note := _jobs_note():
                notes.append(note)
        except DatabaseError as exc:
            problems.append(
                _("TOWNSQUARE_DATABASE_URL: cannot use the database (%(error)s)")
                % {"error": type(exc).__name__}
            )
    config = settings.CONFIG
    smtp = bool(config.email_url)
    with contextlib.suppress(DatabaseError):  # a database problem is reported above
        from townsquare.site.email import mail_settings

        smtp = smtp or mail_settings().smtp
    return Health(
        problems=problems,
        notes=notes,
        data_dir=str(settings.DATA_DIR),
        base_url=config.base_url,
        database=str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1],
        redis_configured=bool(config.redis_url),
        email_smtp=smtp,
        email_folder="" if smtp else str(getattr(settings, "EMAIL_FILE_PATH", "")),
        video_limit=ffmpeg_status(),
        media_storage=s3.describe(),
    )
