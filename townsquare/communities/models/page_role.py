from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class PageRoleKind(models.IntegerChoices):
    EDITOR = 0, _("Editor: posts as the page")
    ADMIN = 1, _("Admin: posts as the page, edits it and chooses its team")


class PageRole(models.Model):
    """A member of a page's team (a page is an account with `is_page`)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    page = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.PositiveSmallIntegerField(
        choices=PageRoleKind.choices, default=PageRoleKind.EDITOR
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "member"], name="page_role_unique"),
        ]
        indexes = [models.Index(fields=["member"], name="page_role_member_idx")]
