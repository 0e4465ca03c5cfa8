from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "townsquare.feeds"
    label = "feeds"
