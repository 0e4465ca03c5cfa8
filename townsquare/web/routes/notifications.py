"""URL patterns for the notifications pages (included by townsquare/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
