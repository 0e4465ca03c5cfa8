from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class EnforcementKind(models.TextChoices):
    LIMIT = "limit", _("Limit the account")
    FREEZE = "freeze", _("Freeze the account")
    SUSPEND = "suspend", _("Suspend the account")
    REMOVE = "remove", _("Remove the post")
    SENSITIVE = "sensitive", _("Mark the post's media sensitive")


ACCOUNT_KINDS = (EnforcementKind.LIMIT, EnforcementKind.FREEZE, EnforcementKind.SUSPEND)
POST_KINDS = (EnforcementKind.REMOVE, EnforcementKind.SENSITIVE)


class Enforcement(models.Model):
    """A moderator's action against an account, a group or a post: in force from `starts_at` until
    `ends_at` (None: until lifted), or until a moderator lifts it (`lifted_at`). The state in
    force is also kept on the account (`User.limited_until`, ...) and the post
    (`Post.removed_at`, `Post.sensitive`), where reads find it; this is the record."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    kind = models.CharField(max_length=10, choices=EnforcementKind.choices)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The group acted on (limit, freeze, suspend of a group: moderation.group_enforcement);
    # then `account` is the group's owner when the decision was made (whom it concerns).
    group = models.ForeignKey(
        "communities.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The post acted on (remove, sensitive), kept by id: the evidence outlives the post.
    post_id = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
    )
    reason = models.TextField(blank=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    # Marking a post sensitive remembers whether it was already, to undo exactly.
    was_sensitive = models.BooleanField(default=False)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="enforcement_account_idx"),
            models.Index(
                fields=["group", "-id"],
                condition=models.Q(group__isnull=False),
                name="enforcement_group_idx",
            ),
            models.Index(
                fields=["post_id"],
                condition=models.Q(post_id__isnull=False),
                name="enforcement_post_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.account_id}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None and (self.ends_at is None or self.ends_at > timezone.now())
