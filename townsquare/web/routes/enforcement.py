"""URL patterns of what restricted members see (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import enforcement

urlpatterns: list[URLPattern] = [
    path("suspended", enforcement.suspended, name="account_suspended"),
]
