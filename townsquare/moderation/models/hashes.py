"""Hash banks and the hashes of uploads (see townsquare/moderation/hash_banks.py).

A bank is a list of hashes the operator imported (with a label such as "CSAM (imported)") or
built from images moderators removed. Every uploaded image gets a MediaHash (PDQ, MD5,
SHA-256); when one of them is in an enabled bank a HashMatch is recorded and the upload
cannot be posted until a moderator releases it. Hashes are kept as lowercase hex (PDQ in the
ThreatExchange format: 64 hex digits, the most significant 16-bit word first).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class HashKind(models.TextChoices):
    PDQ = "pdq", "PDQ"
    MD5 = "md5", "MD5"
    SHA256 = "sha256", "SHA-256"


HEX_LENGTH = {HashKind.PDQ: 64, HashKind.MD5: 32, HashKind.SHA256: 64}
REMOVED_BANK_KEY = "removed"  # the bank of images moderators removed


class HashBank(models.Model):
    """A named list of hashes. `revision` is a fresh (time-ordered) id after every change to the
    bank or its hashes, so each process can tell when its in-memory PDQ index is stale."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    name = models.CharField(max_length=100, unique=True)
    label = models.CharField(max_length=100, blank=True)  # the category: "CSAM (imported)"
    enabled = models.BooleanField(default=True)
    system_key = models.CharField(max_length=20, blank=True)  # "removed": the site's own bank
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revision = models.BigIntegerField(default=next_id)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["system_key"],
                condition=~models.Q(system_key=""),
                name="hash_bank_system_key_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class BankedHash(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    bank = models.ForeignKey(HashBank, on_delete=models.CASCADE, related_name="hashes")
    kind = models.CharField(max_length=8, choices=HashKind.choices)
    value = models.CharField(max_length=64)  # lowercase hex
    note = models.CharField(max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "kind", "value"], name="banked_hash_unique_in_bank"
            )
        ]
        indexes = [models.Index(fields=["kind", "value"], name="banked_hash_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class MediaHash(models.Model):
    """The hashes of one upload, computed when it was received. `pdq` is empty when the image
    had too little detail (quality under 50) or is not an image: then only the exact hashes
    are matched."""

    attachment = models.OneToOneField(
        "media.MediaAttachment", primary_key=True, on_delete=models.CASCADE, related_name="hashes"
    )
    md5 = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    pdq = models.CharField(max_length=64, blank=True)
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"hashes of {self.attachment_id}"


class MatchStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a moderator")
    CONFIRMED = "confirmed", _("Confirmed")
    RELEASED = "released", _("Released")


class HashMatch(models.Model):
    """An upload whose hash is in a bank: held (it cannot be posted) while open or confirmed.

    It outlives what it names: the bank's name, the kind, both hash values and the uploader
    are copied, so the record stays readable when the attachment, the banked hash or the bank
    is deleted. A moderation case can point here (source: automated detection)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    attachment = models.ForeignKey(
        "media.MediaAttachment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hash_matches",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    banked_hash = models.ForeignKey(
        BankedHash, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bank = models.ForeignKey(
        HashBank, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bank_name = models.CharField(max_length=100)
    bank_label = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=8, choices=HashKind.choices)
    distance = models.PositiveSmallIntegerField(default=0)  # Hamming distance; 0 for exact
    banked_value = models.CharField(max_length=64)
    upload_value = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=MatchStatus.choices, default=MatchStatus.OPEN)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["attachment", "status"], name="hash_match_attachment_idx"),
            models.Index(fields=["status", "-id"], name="hash_match_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} match of {self.attachment_id} in {self.bank_name}"

    @property
    def holds(self) -> bool:
        return self.status != MatchStatus.RELEASED


class HashImport(models.Model):
    """A large list of hashes being added to a bank by jobs, `chunks` parts of at most
    `hash_imports.CHUNK` hashes each (`done_chunks`: the numbers of the parts added, so a part
    run twice adds nothing twice). Small lists are added at once and leave no row."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    bank = models.ForeignKey(HashBank, on_delete=models.CASCADE, related_name="imports")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total = models.PositiveIntegerField()  # distinct hashes in the list
    added = models.PositiveIntegerField(default=0)
    already = models.PositiveIntegerField(default=0)  # in the bank before
    chunks = models.PositiveIntegerField()
    done_chunks = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import of {self.total} hashes into {self.bank_id}"

    @property
    def done(self) -> bool:
        return self.finished_at is not None
