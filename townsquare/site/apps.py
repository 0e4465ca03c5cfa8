from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "townsquare.site"
    label = "site"
