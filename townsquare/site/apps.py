from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "townsquare.site"
    label = "site"

    def ready(self) -> None:
        from townsquare.site import email, limits

        limits.register()  # the dashboard may change the limits (site.actions.update_settings)
        email.register()  # ... and the mail settings
