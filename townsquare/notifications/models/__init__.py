from townsquare.notifications.models.notification import Kind, Notification
from townsquare.notifications.models.preferences import (
    DEFAULT_EMAIL_KINDS,
    Delivery,
    NotificationPreferences,
)
from townsquare.notifications.models.thread_mute import ThreadMute

__all__ = [
    "DEFAULT_EMAIL_KINDS",
    "Delivery",
    "Kind",
    "Notification",
    "NotificationPreferences",
    "ThreadMute",
]
