from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class Role(models.IntegerChoices):
    MEMBER = 0, _("Member")
    MODERATOR = 1, _("Moderator")
    ADMIN = 2, _("Admin")
    OWNER = 3, _("Owner")


class MembershipState(models.IntegerChoices):
    MEMBER = 0, _("Member")
    REQUESTED = 1, _("Asked to join")
    INVITED = 2, _("Invited")
    BANNED = 3, _("Banned")


class Membership(models.Model):
    """A member's place in a group: a member (with a role), a request to join, an invitation
    or a ban. One row per (group, member)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    group = models.ForeignKey("communities.Group", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.PositiveSmallIntegerField(
        choices=MembershipState.choices, default=MembershipState.MEMBER
    )
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.MEMBER)
    # A muted member reads the group but cannot post or reply in it until then.
    muted_until = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "member"], name="membership_unique")
        ]
        indexes = [
            models.Index(fields=["member", "state"], name="membership_member_state"),
            models.Index(fields=["group", "state", "role"], name="membership_group_state"),
        ]
