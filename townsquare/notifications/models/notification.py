from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class Kind(models.TextChoices):
    MENTION = "mention", _("Mentions")
    REPLY = "reply", _("Replies")
    LIKE = "like", _("Likes")
    SHARE = "share", _("Shares")
    QUOTE = "quote", _("Quotes")
    FOLLOW = "follow", _("New followers")
    FOLLOW_REQUEST = "follow_request", _("Follow requests")
    POLL = "poll", _("Polls ended")
    STATUS = "status", _("New posts")  # by someone the member follows with notifications on
    # Groups (site only: the client API lists none of these).
    GROUP_REQUEST = "group_request", _("Requests to join a group")  # to its moderators
    GROUP_INVITE = "group_invite", _("Group invitations")
    GROUP_ACCEPTED = "group_accepted", _("Accepted into a group")
    GROUP_POST_PENDING = "group_post_pending", _("Group posts awaiting approval")  # to moderators
    GROUP_POST_APPROVED = "group_post_approved", _("Group posts approved")
    # Events (site only).
    EVENT_REMINDER = "event_reminder", _("Event reminders")


class Notification(models.Model):
    """Something that happened to `recipient`: `actor` did `kind` (to `post`)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    post = models.ForeignKey(
        "posts.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The group a group notification is about (requests, invitations, posts to approve).
    group = models.ForeignKey(
        "communities.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # The event an event notification is about (reminders).
    event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    read = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read=False),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["group"],
                condition=models.Q(group__isnull=False),
                name="notification_group_idx",
            ),
            models.Index(
                fields=["event"],
                condition=models.Q(event__isnull=False),
                name="notification_event_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
