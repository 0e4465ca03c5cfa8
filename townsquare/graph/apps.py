from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "townsquare.graph"
    label = "graph"
