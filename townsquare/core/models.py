"""The job machinery's own tables (the jobs themselves are django-tasks-db's `DBTaskResult`).

They live in core beside `core/jobs.py` and `core/worker.py`, which are their only users.
"""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """A job worker process that is alive: it updates `beat_at` every few seconds. The jobs
    it runs carry its id (`DBTaskResult.worker_ids`, "<process id>/<thread>"); when its beat
    stops (kill -9, a lost machine) another worker's janitor puts those jobs back."""

    process_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, default="")
    pid = models.IntegerField(default=0)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.process_id


class ChoreRun(models.Model):
    """When a scheduled chore (`core.jobs.register_chore`) last started, across every worker:
    a worker runs it only after moving `last_run_at` forward in one conditional UPDATE, so
    one worker runs it per period however many there are."""

    name = models.CharField(max_length=64, primary_key=True)
    last_run_at = models.DateTimeField()
    ran_by = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return self.name
