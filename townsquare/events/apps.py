from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "townsquare.events"
    label = "events"
