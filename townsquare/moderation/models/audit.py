from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class AppendOnly(Exception):
    """Raised when code tries to change or delete an entry of the audit log."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reads and inserts only: bulk updates and deletes are refused."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("the audit log is append-only")

    def delete(self) -> NoReturn:
        raise AppendOnly("the audit log is append-only")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("the audit log is append-only")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("the audit log is append-only")


class AuditEntry(models.Model):
    """One thing a member of staff (or the command line) did: who, what, to what, when, and
    the fields that changed (before and after, secrets masked). Written by
    `moderation.audit.record` in the transaction of the change; never changed or deleted.

    `actor` is None for the command line, or once the actor's account is gone: `actor_name`
    keeps their username. The target is kept as text (kind, id, label) so the entry outlives
    what it names."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)  # "" = the command line
    action = models.CharField(max_length=64)  # "member.role", "site.settings", ...
    target_kind = models.CharField(max_length=32, blank=True)  # "member", "role", "site", ...
    target_id = models.CharField(max_length=64, blank=True)  # an id, or a name (a feature)
    target_label = models.CharField(max_length=200, blank=True)  # "@fern", "Garden wardens"
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["action", "-id"], name="audit_action_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
            models.Index(fields=["target_kind", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_name or '-'} on {self.target_kind} {self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("the audit log is append-only: entries cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("the audit log is append-only: entries cannot be deleted")
