from townsquare.notifications.models.notification import Kind, Notification

__all__ = ["Kind", "Notification"]
