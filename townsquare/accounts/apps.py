from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "townsquare.accounts"
    label = "accounts"

    def ready(self) -> None:
        from townsquare.accounts.export import remove_expired
        from townsquare.accounts.tasks import overdue_deletions
        from townsquare.core.jobs import register_chore

        # Archives ("Download my data") are removed after their days are up; deletions whose
        # scheduled job was lost are queued again.
        register_chore("data-archives-expired", 3600, remove_expired)
        register_chore("account-deletions-overdue", 3600, overdue_deletions)
