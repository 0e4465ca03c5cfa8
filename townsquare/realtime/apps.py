from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "townsquare.realtime"
    label = "realtime"

    def ready(self) -> None:
        from townsquare.core.jobs import register_chore
        from townsquare.realtime.bus import prune_events

        register_chore("realtime-events", 60, prune_events)
