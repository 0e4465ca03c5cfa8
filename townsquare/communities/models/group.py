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

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("handle"), name="group_handle_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name
