from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "townsquare.media"
    label = "media"
