"""URL patterns for the notifications pages (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views import notifications

urlpatterns: list[URLPattern] = [
    path("notifications", notifications.notifications, name="notifications"),
    path("notifications/read", notifications.mark_read, name="notifications_read"),
    path(
        "settings/notifications",
        notifications.notification_settings,
        name="notification_settings",
    ),
]
