"""URL patterns for members' reports (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import reports

urlpatterns: list[URLPattern] = [
    path("report", reports.report, name="report"),
]
