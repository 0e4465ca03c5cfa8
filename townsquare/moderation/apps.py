from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "townsquare.moderation"
    label = "moderation"

    def ready(self) -> None:
        from townsquare.core.jobs import register_chore
        from townsquare.moderation.evidence import chore

        # What moderators took down is deleted once the evidence hold is over.
        register_chore("moderation-evidence-hold", 3600, chore)
