"""URL patterns for the search pages (included by townsquare/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
