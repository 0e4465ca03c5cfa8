"""URL patterns for the polls pages (included by townsquare/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
