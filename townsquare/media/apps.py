from datetime import timedelta

from django.apps import AppConfig

ORPHAN_AGE = timedelta(days=1)


class MediaConfig(AppConfig):
    name = "townsquare.media"
    label = "media"

    def ready(self) -> None:
        from townsquare.core.jobs import register_chore
        from townsquare.media.actions import remove_orphans

        # Uploads no post took (a composer abandoned) go after a day, files and all.
        register_chore("media-orphans", 3600, lambda: remove_orphans(ORPHAN_AGE))
