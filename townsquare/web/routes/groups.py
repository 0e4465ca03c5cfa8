"""URL patterns for the group pages (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import group_admin, groups

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
    path("g/<username:handle>/role", group_admin.role, name="group_role"),
    path("g/<username:handle>/mute", group_admin.mute, name="mute_in_group"),
    path("g/<username:handle>/settings", group_admin.settings, name="group_settings"),
    path("g/<username:handle>/delete", group_admin.delete, name="delete_group"),
    path("g/<username:handle>/pending", group_admin.pending, name="group_pending"),
    path("posts/<id:post_id>/approve", group_admin.approve, name="approve_group_post"),
    path("posts/<id:post_id>/group-pin", group_admin.pin, name="pin_in_group"),
    path("posts/<id:post_id>/group-unpin", group_admin.unpin, name="unpin_in_group"),
]
