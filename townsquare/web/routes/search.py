"""URL patterns for the search pages (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import search

urlpatterns: list[URLPattern] = [
    path("search", search.search, name="search"),
]
