"""A member's rights over their data: archives of it (exports), lists brought from elsewhere
(imports), and the deletion of their account after a grace period."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class DataExport(models.Model):
    """An archive of everything a member has here, built by a job. The file lives in the
    private storage (never under /media/), at a random path, and is handed only to its member."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=12, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    path = models.CharField(max_length=300, blank=True)  # in storages["private"]
    size = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["member", "-id"], name="data_export_member_idx"),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status="ready"),
                name="data_export_expiry_idx",
            ),
        ]
        constraints = [
            # One archive being prepared at a time per member.
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status="pending"),
                name="data_export_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.member_id} ({self.status})"


class ImportKind(models.TextChoices):
    FOLLOWING = "following", _("People you follow")
    BLOCKS = "blocks", _("Blocked accounts")
    MUTES = "mutes", _("Muted accounts")
    BOOKMARKS = "bookmarks", _("Bookmarks")


class ImportMode(models.TextChoices):
    MERGE = "merge", _("Merge: keep what you have and add the list")
    OVERWRITE = "overwrite", _("Overwrite: replace what you have with the list")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("In progress")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DataImport(models.Model):
    """A list uploaded in Mastodon's CSV format, applied row by row in a job through the
    graph and posts actions. `rows` holds the parsed rows ({"line", "value", and the row's
    options}); `position` is how many have been applied; `skipped` lists the rows left out
    and why ({"line", "value", "reason"}, the first MAX_SKIPPED_SHOWN of them)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    mode = models.CharField(max_length=12, choices=ImportMode.choices, default=ImportMode.MERGE)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    file_name = models.CharField(max_length=200, blank=True)
    rows: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    # Ids of the accounts (or posts) the list names here, for an overwrite to keep.
    kept_ids: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)  # by an overwrite
    skipped_count = models.PositiveIntegerField(default=0)
    skipped: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    # Waiting for the member's hourly limits (following, blocking...) to allow more.
    paused_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "-id"], name="data_import_member_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status="pending"),
                name="data_import_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} of {self.member_id} ({self.status})"


class AccountDeletion(models.Model):
    """A member asked to delete their account: it is deactivated at once and its content is
    removed once `due_at` has passed (until then, logging in offers to cancel). After the
    job ran, this row and the anonymised account row are the tombstone: the id, the username
    (kept reserved, so nobody can take it to pass for them) and `deleted_at`."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="account_deletion_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"deletion of {self.member_id} due {self.due_at:%Y-%m-%d}"
