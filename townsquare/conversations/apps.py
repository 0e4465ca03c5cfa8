from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "townsquare.conversations"
    label = "conversations"
