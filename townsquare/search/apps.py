from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "townsquare.search"
    label = "search"

    def ready(self) -> None:
        from townsquare.search.schema import repair_sqlite_index

        post_migrate.connect(repair_sqlite_index, sender=self, dispatch_uid="search-repair")
