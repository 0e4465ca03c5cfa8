from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "townsquare.posts"
    label = "posts"
