from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id

NAME_MAX = 80
HANDLE_MAX = 30
DESCRIPTION_MAX = 2000
RULES_MAX = 5000


class GroupPrivacy(models.IntegerChoices):
    PUBLIC = 0, _("Public: anyone sees the posts, anyone joins")
    PRIVATE = 1, _("Private: anyone finds the group; posts and members for members only")
    SECRET = 2, _("Secret: only members know it exists; joining by invitation")


class Group(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    handle = models.CharField(max_length=HANDLE_MAX)
    name = models.CharField(max_length=NAME_MAX)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True)
    rules = models.TextField(blank=True)
    privacy = models.PositiveSmallIntegerField(
        choices=GroupPrivacy.choices, default=GroupPrivacy.PUBLIC
    )
    cover = models.CharField(max_length=200, blank=True)  # storage path of the 1500x500 image
    # New posts by members (not replies, not moderators' posts) wait for a moderator's approval.
    approve_posts = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The site's moderators' restrictions (moderation.group_enforcement), each in force while
    # in the future (`moderation.enforcement.FOREVER`: until lifted). Limited: out of the
    # directory and its posts seen by its members only; frozen: read-only (nobody posts,
    # replies or joins); suspended: its page answers the suspension page, its posts hidden.
    limited_until = models.DateTimeField(null=True, blank=True)
    frozen_until = models.DateTimeField(null=True, blank=True)
    suspended_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("handle"), name="group_handle_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_limited(self) -> bool:
        return self.limited_until is not None and self.limited_until > timezone.now()

    @property
    def is_frozen(self) -> bool:
        return self.frozen_until is not None and self.frozen_until > timezone.now()

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > timezone.now()

    @property
    def is_read_only(self) -> bool:
        """Frozen or suspended: nobody posts, replies or joins."""
        return self.is_frozen or self.is_suspended
