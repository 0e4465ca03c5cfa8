"""URL patterns for members' reports (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import notices, reports

urlpatterns: list[URLPattern] = [
    path("report", reports.report, name="report"),
    path("notice", notices.notice, name="notice"),
]
