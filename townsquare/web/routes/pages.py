"""URL patterns for pages (included by townsquare/urls.py). A page's profile is /@handle."""

from django.urls import URLPattern, path

from townsquare.web.views import pages

urlpatterns: list[URLPattern] = [
    path("pages", pages.directory, name="pages"),
    path("pages/new", pages.create, name="new_page"),
    path("pages/<username:handle>/edit", pages.edit, name="edit_page"),
    path("pages/<username:handle>/team", pages.team, name="page_team"),
    path("pages/<username:handle>/team/add", pages.add, name="add_to_page_team"),
    path("pages/<username:handle>/team/remove", pages.remove, name="remove_from_page_team"),
]
