from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "townsquare.messaging"
    label = "messaging"
