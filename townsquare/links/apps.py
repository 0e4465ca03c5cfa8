from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "townsquare.links"
    label = "links"
