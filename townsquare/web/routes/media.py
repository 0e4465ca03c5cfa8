"""URL patterns for the media pages (included by townsquare/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
