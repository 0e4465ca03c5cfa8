from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "townsquare.api"
    label = "api"
    verbose_name = "Client API"

    def ready(self) -> None:
        from townsquare.api.idempotency import sweep
        from townsquare.core.jobs import register_chore

        register_chore("api-idempotency-keys", 3600, sweep)
