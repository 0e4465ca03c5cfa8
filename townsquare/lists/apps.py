from django.apps import AppConfig


class ListsConfig(AppConfig):
    name = "townsquare.lists"
    label = "lists"
