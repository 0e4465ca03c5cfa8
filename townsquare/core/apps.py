from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "townsquare.core"
    label = "core"

    def ready(self) -> None:
        from townsquare.core.jobs import prune_finished_jobs, register_chore
        from townsquare.core.logs import connect_job_signals

        register_chore("finished-jobs", 3600, prune_finished_jobs)
        connect_job_signals()
