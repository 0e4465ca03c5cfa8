"""Log lines as JSON (`TOWNSQUARE_LOG_FORMAT=json`), and the job a worker is running.

One JSON object per line, for a log collector (journald, Loki, Vector...):

    {"time": "2026-11-30T09:30:00.123Z", "level": "INFO", "logger": "townsquare.requests",
     "message": "GET home 200", "request_id": "5f0c...", "method": "GET", "route": "home",
     "status": 200, "duration_ms": 4.2}

Every line carries `request_id` ("-" outside a request; the same id as the response's
`X-Request-Id` header). Request lines (logger `townsquare.requests`, written by
`core.metrics.RequestMetricsMiddleware`) add method, route name, status and duration_ms. A line
written while a job runs carries `job` (the task's dotted path) and `job_id`; a worker writes
one line per finished job (logger `townsquare.jobs`) with its status and duration_ms.
"""

from __future__ import annotations

import contextvars
import logging
import time
from datetime import UTC, datetime
from typing import Any

import orjson

_job: contextvars.ContextVar[tuple[str, str, float] | None] = contextvars.ContextVar(
    "job", default=None
)

# Attributes every LogRecord has: anything else was passed with `extra=` and is written out.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "job",
    "job_id",
}


class JobFilter(logging.Filter):
    """Adds the running job's path and id (or "-") to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = _job.get()
        record.job, record.job_id = (job[0], job[1]) if job else ("-", "-")
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        job = getattr(record, "job", "-")
        if job != "-":
            line["job"] = job
            line["job_id"] = getattr(record, "job_id", "-")
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(line, default=str).decode()


def logging_config(log_format: str) -> dict[str, Any]:
    """Django's LOGGING for `TOWNSQUARE_LOG_FORMAT` ("text" or "json")."""
    json_lines = log_format == "json"
    # Request and job lines go with JSON logs (a collector counts them); in a terminal the
    # web server's own access log (`townsquare serve --access-log`) says enough.
    lines = "INFO" if json_lines else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "townsquare.core.middleware.RequestIdFilter"},
            "job": {"()": "townsquare.core.logs.JobFilter"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {"()": "townsquare.core.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "plain",
                "filters": ["request_id", "job"],
            }
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "townsquare": {"level": "INFO"},
            "townsquare.requests": {"level": lines},
            "townsquare.jobs": {"level": lines},
            "django_tasks_db": {"level": "WARNING"},
        },
    }


# -- jobs --------------------------------------------------------------------------------

_jobs_log = logging.getLogger("townsquare.jobs")


def _job_started(sender: object, task_result: Any, **kwargs: object) -> None:
    _job.set((task_result.task.module_path, str(task_result.id), time.perf_counter()))


def _job_finished(sender: object, task_result: Any, **kwargs: object) -> None:
    job = _job.get()
    if job is not None and _jobs_log.isEnabledFor(logging.INFO):
        status = str(getattr(task_result.status, "value", task_result.status))
        _jobs_log.info(
            "job %s %s",
            job[0].rsplit(".", 1)[-1],
            status.lower(),
            extra={
                "status": status,
                "duration_ms": round((time.perf_counter() - job[2]) * 1000, 3),
            },
        )
    _job.set(None)


def connect_job_signals() -> None:
    """Called when the core app loads."""
    from django_tasks.signals import task_finished, task_started

    task_started.connect(_job_started, dispatch_uid="townsquare.logs.job_started")
    task_finished.connect(_job_finished, dispatch_uid="townsquare.logs.job_finished")
