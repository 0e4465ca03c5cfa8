"""URL patterns for the language picker (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import languages

urlpatterns: list[URLPattern] = [
    path("language", languages.choose_language, name="choose_language"),
]
