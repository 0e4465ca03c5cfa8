from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class RepliesPolicy(models.TextChoices):
    FOLLOWED = "followed", _("Replies to anyone I follow")
    LIST = "list", _("Replies to members of the list")
    NONE = "none", _("No replies")


class MemberList(models.Model):
    """A member's own list of people they follow, read as a timeline of its own (Mastodon's
    lists). Only its owner sees it."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    title = models.CharField(max_length=200)
    replies_policy = models.CharField(
        max_length=10, choices=RepliesPolicy.choices, default=RepliesPolicy.LIST
    )
    # Exclusive: the members' posts leave the owner's home timeline (read by the home feed).
    exclusive = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["owner", "id"], name="list_owner_idx")]

    def __str__(self) -> str:
        return f"list {self.pk} of {self.owner_id}"


class ListMember(models.Model):
    """`member` is on `member_list` (whose owner follows them, or asked to)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    member_list = models.ForeignKey(MemberList, on_delete=models.CASCADE, related_name="members")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member_list", "member"], name="list_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on list {self.member_list_id}"
