from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "townsquare.communities"
    label = "communities"
