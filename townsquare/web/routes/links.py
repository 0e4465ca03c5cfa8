"""URL patterns for the links pages (included by townsquare/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
