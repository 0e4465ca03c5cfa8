"""URL patterns for the group pages (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import groups

urlpatterns: list[URLPattern] = [
    path("groups", groups.directory, name="groups"),
    path("groups/new", groups.create, name="new_group"),
    path("g/<username:handle>", groups.group_page, name="group"),
    path("g/<username:handle>/members", groups.members, name="group_members"),
    path("g/<username:handle>/join", groups.join, name="join_group"),
    path("g/<username:handle>/leave", groups.leave, name="leave_group"),
    path("g/<username:handle>/invite", groups.invite, name="invite_to_group"),
    path("g/<username:handle>/answer", groups.answer, name="answer_group_request"),
    path("g/<username:handle>/ban", groups.ban, name="ban_from_group"),
]
