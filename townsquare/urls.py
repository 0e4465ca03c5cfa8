from django.urls import include, path

from townsquare.web import converters  # noqa: F401 - registers the path converters first
from townsquare.web.routes import links, media, messages, notifications, polls, search
from townsquare.web.views import (
    accounts,
    interactions,
    posts,
    settings,
    social,
    system,
    tags,
)

urlpatterns = [
    path("", include("townsquare.api.urls")),
    path("", posts.home, name="home"),
    path("home/new", posts.home_new, name="home_new"),
    path("public", posts.public_timeline, name="public"),
    path("tags/<tag:name>", tags.tag, name="tag"),
    path("tags/<tag:name>/follow", tags.follow_tag, name="follow_tag"),
    path("tags/<tag:name>/unfollow", tags.unfollow_tag, name="unfollow_tag"),
    path("trending", tags.trends, name="trending"),
    path("posts", posts.compose, name="compose"),
    path("compose", posts.compose_page, name="compose_page"),
    path("posts/<id:post_id>/delete", posts.delete_post, name="delete_post"),
    path("posts/<id:post_id>/edit", posts.edit_post, name="edit_post"),
    path("posts/<id:post_id>/<verb:verb>", interactions.act, name="post_action"),
    path("bookmarks", interactions.bookmarks, name="bookmarks"),
    path("@<username:username>", social.profile, name="profile"),
    path("@<username:username>/<id:post_id>", posts.post_detail, name="post"),
    path("@<username:username>/<id:post_id>/history", posts.post_history, name="post_history"),
    path("@<username:username>/<id:post_id>/likes", interactions.liked_by, name="liked_by"),
    path("@<username:username>/<id:post_id>/shares", interactions.shared_by, name="shared_by"),
    path("@<username:username>/block", social.block, name="block"),
    path("@<username:username>/unblock", social.unblock, name="unblock"),
    path("@<username:username>/mute", social.mute, name="mute"),
    path("@<username:username>/unmute", social.unmute, name="unmute"),
    path("@<username:username>/feature", social.feature, name="feature"),
    path("@<username:username>/unfeature", social.unfeature, name="unfeature"),
    path("@<username:username>/note", social.note, name="account_note"),
    path("@<username:username>/followers", social.followers, name="followers"),
    path("@<username:username>/following", social.following, name="following"),
    path("@<username:username>/follow", social.follow, name="follow"),
    path("@<username:username>/unfollow", social.unfollow, name="unfollow"),
    path("@<username:username>/remove-follower", social.remove_follower, name="remove_follower"),
    path("follow-requests", social.follow_requests, name="follow_requests"),
    path(
        "follow-requests/<id:request_id>/<answer:answer>",
        social.answer_follow_request,
        name="answer_follow_request",
    ),
    path("signup", accounts.signup, name="signup"),
    path("confirm/resend", accounts.resend_confirmation, name="resend_confirmation"),
    path("confirm/<str:token>", accounts.confirm_email, name="confirm_email"),
    path("login", accounts.login_view, name="login"),
    path("logout", accounts.logout_view, name="logout"),
    path("password/reset", accounts.password_reset, name="password_reset"),
    path(
        "password/reset/<str:uidb64>/<str:token>",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("settings/profile", settings.edit_profile, name="edit_profile"),
    path("settings/account", settings.account, name="account_settings"),
    path("settings/privacy", settings.privacy, name="privacy_settings"),
    path("settings/sessions", settings.sessions, name="sessions"),
    path("settings/blocks", social.blocks_and_mutes, name="blocks"),
    path("settings/sessions/end", settings.end_sessions, name="end_sessions"),
    path("media/<path:path>", system.media, name="media"),
    path("health", system.health, name="health"),
    *notifications.urlpatterns,
    *media.urlpatterns,
    *links.urlpatterns,
    *polls.urlpatterns,
    *search.urlpatterns,
    *messages.urlpatterns,
]

handler400 = "townsquare.web.views.system.error_400"
handler403 = "townsquare.web.views.system.error_403"
handler404 = "townsquare.web.views.system.error_404"
handler500 = "townsquare.web.views.system.error_500"
