"""URL patterns for the polls pages (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import polls

urlpatterns: list[URLPattern] = [path("polls/<id:poll_id>/vote", polls.vote, name="poll_vote")]
