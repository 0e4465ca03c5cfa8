from django.apps import AppConfig


class PollsConfig(AppConfig):
    name = "townsquare.polls"
    label = "polls"
