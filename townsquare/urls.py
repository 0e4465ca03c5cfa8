from django.urls import path, register_converter

from townsquare.web.routes import links, media, notifications, polls, search
from townsquare.web.views import accounts, posts, settings, social, system


class _TextConverter:
    """A path segment matched by `regex` and passed on as it is."""

    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class UsernameConverter(_TextConverter):
    regex = "[A-Za-z0-9_]{1,30}"


class AnswerConverter(_TextConverter):
    regex = "approve|reject"


class TagConverter(_TextConverter):
    """Hashtag names as the text parser finds them (word characters only)."""

    regex = r"\w{1,100}"


class IdConverter:
    """A 64-bit id: anything longer or larger is simply not found (never a database error)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number >= 2**63:
            raise ValueError("id out of range")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(UsernameConverter, "username")
register_converter(AnswerConverter, "answer")
register_converter(TagConverter, "tag")
register_converter(IdConverter, "id")

urlpatterns = [
    path("", posts.home, name="home"),
    path("home/new", posts.home_new, name="home_new"),
    path("public", posts.public_timeline, name="public"),
    path("tags/<tag:name>", posts.tag, name="tag"),
    path("posts", posts.compose, name="compose"),
    path("posts/<id:post_id>/delete", posts.delete_post, name="delete_post"),
    path("@<username:username>", social.profile, name="profile"),
    path("@<username:username>/<id:post_id>", posts.post_detail, name="post"),
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
    path("settings/sessions", settings.sessions, name="sessions"),
    path("settings/sessions/end", settings.end_sessions, name="end_sessions"),
    path("media/<path:path>", system.media, name="media"),
    path("health", system.health, name="health"),
    *notifications.urlpatterns,
    *media.urlpatterns,
    *links.urlpatterns,
    *polls.urlpatterns,
    *search.urlpatterns,
]

handler400 = "townsquare.web.views.system.error_400"
handler403 = "townsquare.web.views.system.error_403"
handler404 = "townsquare.web.views.system.error_404"
handler500 = "townsquare.web.views.system.error_500"
