"""The write layer for hash banks and hash matches.

Staff (permission `moderate_content`) create banks, import lists of hashes into them, switch
them on and off and delete them; `add_removed_image` banks an image a moderator removed, so
it cannot come back. Uploads: `screen_upload` hashes a received image and looks it up (before
the upload's transaction), `record_upload` keeps its hashes and any match (inside it), and
`held_attachments` tells media.actions which uploads may not be posted.

Holding: a matched upload is refused when someone tries to put it in a post or message ("This
image cannot be posted here", which does not say why), until a moderator releases the match.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core.ids import next_id
from townsquare.media.models import Kind, MediaAttachment
from townsquare.moderation import audit, hash_index, hashing
from townsquare.moderation.models import (
    BankedHash,
    HashBank,
    HashKind,
    HashMatch,
    MatchStatus,
    MediaHash,
)
from townsquare.moderation.models.hashes import REMOVED_BANK_KEY

logger = logging.getLogger(__name__)
PERMISSION = "moderate_content"
MAX_IMPORT_BYTES = 128 * 1024 * 1024
MAX_IMPORT_LINES = 1_000_000
MAX_REPORTED_LINES = 20  # bad lines named in the error; the rest are counted
INSERT_BATCH = 5_000
_HEX = re.compile(r"[0-9a-f]+")


def _require(actor: User | None) -> None:
    if actor is None or not actor.is_authenticated or not actor.can(PERMISSION):
        raise PermissionDenied(_("You do not have permission to manage hash banks."))


require_moderator = _require


def _target(bank: HashBank) -> audit.Target:
    return audit.Target("hash_bank", bank.pk, bank.name)


def _touch(bank_id: int) -> None:
    """Mark the bank changed: every process rebuilds its PDQ index before its next lookup."""
    HashBank.objects.filter(pk=bank_id).update(revision=next_id())


def _bank(bank_id: int, *, lock: bool = False) -> HashBank:
    found = HashBank.objects.select_for_update() if lock else HashBank.objects.all()
    bank = found.filter(pk=bank_id).first()
    if bank is None:
        raise ValidationError(_("That hash bank was not found."))
    return bank


# --- banks -----------------------------------------------------------------------------------


def create_bank(actor: User, *, name: str, label: str = "") -> HashBank:
    _require(actor)
    name, label = " ".join((name or "").split()), " ".join((label or "").split())
    if not name:
        raise ValidationError({"name": _("Give the bank a name.")})
    if len(name) > 100 or len(label) > 100:
        raise ValidationError({"name": _("Names and labels are at most 100 characters.")})
    if HashBank.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("There is already a bank with that name.")})
    try:
        with transaction.atomic():
            bank = HashBank.objects.create(name=name, label=label, created_by=actor)
            audit.record(actor, "hashbank.create", target=_target(bank), after={"label": label})
    except IntegrityError:
        raise ValidationError({"name": _("There is already a bank with that name.")}) from None
    return bank


def set_enabled(actor: User, bank_id: int, enabled: bool) -> HashBank:
    """Switch a bank's matching on or off (its hashes are kept)."""
    _require(actor)
    with transaction.atomic():
        bank = _bank(bank_id, lock=True)
        if bank.enabled != enabled:
            before = {"enabled": bank.enabled}
            bank.enabled = enabled
            bank.revision = next_id()
            bank.save(update_fields=["enabled", "revision"])
            audit.record(
                actor,
                "hashbank.switch",
                target=_target(bank),
                before=before,
                after={"enabled": enabled},
            )
    return bank


def delete_bank(actor: User, bank_id: int) -> None:
    """Delete a bank and its hashes (matches already recorded keep the bank's name)."""
    _require(actor)
    with transaction.atomic():
        bank = _bank(bank_id, lock=True)
        count = bank.hashes.count()
        audit.record(actor, "hashbank.delete", target=_target(bank), before={"hashes": count})
        bank.delete()


def banks_with_counts() -> list[dict[str, object]]:
    """Every bank, with its number of hashes of each kind (for the staff page)."""
    rows = HashBank.objects.order_by("name").annotate(
        total=Count("hashes"),
        pdq=Count("hashes", filter=Q(hashes__kind=HashKind.PDQ)),
        md5=Count("hashes", filter=Q(hashes__kind=HashKind.MD5)),
        sha256=Count("hashes", filter=Q(hashes__kind=HashKind.SHA256)),
    )
    return [
        {"bank": row, "total": row.total, "pdq": row.pdq, "md5": row.md5, "sha256": row.sha256}
        for row in rows
    ]


# --- the moderators' own bank ----------------------------------------------------------------


def removed_bank() -> HashBank:
    """The bank of images moderators removed (made on first use)."""
    bank = HashBank.objects.filter(system_key=REMOVED_BANK_KEY).first()
    if bank is not None:
        return bank
    try:
        with transaction.atomic():
            return HashBank.objects.create(
                name=_("Removed by moderators"),
                label=_("removed by moderators"),
                system_key=REMOVED_BANK_KEY,
            )
    except IntegrityError:
        return HashBank.objects.get(system_key=REMOVED_BANK_KEY)


def _hashes_of(attachment: MediaAttachment) -> list[tuple[HashKind, str]]:
    """(kind, hex) of an attachment: those kept at upload, or else a PDQ of its display image
    (uploads from before hashing was added; their original bytes are gone)."""
    kept = MediaHash.objects.filter(attachment=attachment).first()
    if kept is not None:
        pairs = [(HashKind.MD5, kept.md5), (HashKind.SHA256, kept.sha256)]
        return pairs + ([(HashKind.PDQ, kept.pdq)] if kept.pdq else [])
    if attachment.kind != Kind.IMAGE or not attachment.file_path:
        return []
    try:
        with default_storage.open(attachment.file_path, "rb") as handle:
            found = hashing.hash_image_stream(handle)
    except (OSError, ValueError):
        logger.warning("could not hash attachment %s to bank it", attachment.pk, exc_info=True)
        return []
    return [(HashKind.PDQ, found.pdq)] if found.pdq else []


def add_removed_image(actor: User, attachment: MediaAttachment) -> int:
    """Bank the hashes of an image a moderator removed, so a new upload of it (or of a close
    copy) is held. Returns how many hashes were added (0: it had none, or all were banked)."""
    _require(actor)
    pairs = _hashes_of(attachment)
    if not pairs:
        return 0
    with transaction.atomic():
        bank = removed_bank()
        present = set(
            bank.hashes.filter(value__in=[value for _kind, value in pairs]).values_list(
                "kind", "value"
            )
        )
        new = [(kind, value) for kind, value in pairs if (kind, value) not in present]
        BankedHash.objects.bulk_create(
            BankedHash(
                bank=bank,
                kind=kind,
                value=value,
                note=_("Attachment %(id)s") % {"id": attachment.pk},
                added_by=actor,
            )
            for kind, value in new
        )
        if new:
            _touch(bank.pk)
            audit.record(
                actor,
                "hashbank.add_removed",
                target=_target(bank),
                after={"attachment": attachment.pk, "added": len(new)},
            )
    return len(new)


# --- uploads ---------------------------------------------------------------------------------


@dataclass
class Screening:
    hashes: hashing.ImageHashes
    found: hash_index.Found | None


def screen_upload(path: str | Path, kind: str) -> Screening | None:
    """Hash a received upload (images; a looping GIF-video by its first frame) and look it up
    in the banks. None for other videos, or when the file cannot be hashed (logged)."""
    if kind not in (Kind.IMAGE, Kind.GIFV):
        return None
    try:
        hashes = hashing.hash_image(path)
    except (OSError, ValueError, SyntaxError):
        logger.warning("could not hash an upload", exc_info=True)
        return None
    return Screening(hashes, hash_index.find(hashes.md5, hashes.sha256, hashes.forms))


def record_upload(attachment: MediaAttachment, screening: Screening | None) -> HashMatch | None:
    """Keep an upload's hashes, and its match if it has one. Call in the upload's transaction."""
    if screening is None:
        return None
    hashes = screening.hashes
    MediaHash.objects.create(
        attachment=attachment,
        md5=hashes.md5,
        sha256=hashes.sha256,
        pdq=hashes.pdq,
        pdq_quality=hashes.quality,
    )
    found = screening.found
    if found is None:
        return None
    banked = BankedHash.objects.select_related("bank").filter(pk=found.banked_hash_id).first()
    if banked is None:  # removed since the lookup: held all the same, to be safe
        logger.warning("banked hash %s went away during an upload", found.banked_hash_id)
    match = HashMatch.objects.create(
        attachment=attachment,
        owner_id=attachment.owner_id,
        banked_hash=banked,
        bank=banked.bank if banked else None,
        bank_name=banked.bank.name if banked else "",
        bank_label=banked.bank.label if banked else "",
        kind=found.kind,
        distance=found.distance,
        banked_value=banked.value if banked else "",
        upload_value=found.upload_value,
    )
    from townsquare.moderation import match_cases

    match_cases.open_for(match)  # a case for moderators, source: automated detection
    return match


def held_attachments(attachment_ids: Iterable[int]) -> set[int]:
    """Those of `attachment_ids` that a hash match holds (open or confirmed)."""
    ids = list(attachment_ids)
    if not ids:
        return set()
    return set(
        HashMatch.objects.filter(attachment_id__in=ids)
        .exclude(status=MatchStatus.RELEASED)
        .values_list("attachment_id", flat=True)
    )


def open_match_attachments() -> QuerySet[HashMatch, int]:
    """The ids of uploads whose match waits for a moderator (a subquery): the clean-up of
    abandoned uploads, and of a post that failed to publish, keeps them for the moderator."""
    return HashMatch.objects.filter(
        status=MatchStatus.OPEN, attachment_id__isnull=False
    ).values_list("attachment_id", flat=True)


def review_match(actor: User, match_id: int, decision: str) -> HashMatch:
    """A moderator confirms a match (the upload stays held) or releases it (it may be posted)."""
    _require(actor)
    if decision not in (MatchStatus.CONFIRMED, MatchStatus.RELEASED):
        raise ValidationError(_("Confirm or release the match."))
    with transaction.atomic():
        match = HashMatch.objects.select_for_update().filter(pk=match_id).first()
        if match is None:
            raise ValidationError(_("That match was not found."))
        before = {"status": match.status}
        match.status = decision
        match.reviewed_by = actor
        match.reviewed_at = timezone.now()
        match.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        audit.record(
            actor,
            f"hashmatch.{'confirm' if decision == MatchStatus.CONFIRMED else 'release'}",
            target=audit.Target("hash_match", match.pk, match.bank_name),
            before=before,
            after={"status": decision},
        )
    return match
