"""Hash matches as moderation cases (source: automated detection).

When an upload matches a hash bank (`hash_banks.record_upload`), a case of kind "media" is
opened about the match (its `target_id` is the HashMatch), for the uploader's account. The
upload is held meanwhile: it cannot be put in a post or a message (`hash_banks.
held_attachments`), so nothing is shown. On the case page a moderator confirms (the upload is
deleted, its hashes go into the "removed by moderators" bank, and the case gets a note about
the account: enforcement is then the moderator's choice with the normal act form) or
releases it (the upload may be posted; the case is dismissed)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.media import storage, tasks
from townsquare.media.models import MediaAttachment
from townsquare.moderation import cases, hash_banks
from townsquare.moderation.actions import PRIORITY_STEP, Target
from townsquare.moderation.actions import _open_case as open_case
from townsquare.moderation.models import (
    Case,
    CaseNote,
    HashMatch,
    MatchStatus,
    Source,
    TargetKind,
)

# Above every report's severity: a match may be illegal content.
MATCH_PRIORITY = 4 * PRIORITY_STEP


def open_for(match: HashMatch) -> Case:
    """The match's open case (made now when there is none). Call in the upload's transaction."""
    with transaction.atomic():
        case = open_case(Target(TargetKind.MEDIA, match.pk, match.owner))
        case.source = Source.AUTOMATED
        case.priority = max(case.priority, MATCH_PRIORITY)
        case.save(update_fields=["source", "priority"])
    return case


def match_of(case: Case) -> HashMatch | None:
    if case.kind != TargetKind.MEDIA:
        return None
    return HashMatch.objects.select_related("attachment").filter(pk=case.target_id).first()


def _case_and_match(moderator: User, case_id: int) -> tuple[Case, HashMatch]:
    hash_banks.require_moderator(moderator)
    case = Case.objects.filter(pk=case_id).first()
    match = match_of(case) if case is not None else None
    if case is None or match is None:
        raise ValidationError(_("That case is not about a hash match."))
    if match.status != MatchStatus.OPEN:
        raise ValidationError(_("This match was already reviewed."))
    return case, match


def _delete_upload(attachment: MediaAttachment) -> None:
    paths = attachment.stored_paths() + storage.all_outputs(attachment.token)
    attachment.delete()
    from townsquare.core.jobs import enqueue

    enqueue(tasks.delete_files, paths)


def confirm(moderator: User, case_id: int) -> HashMatch:
    """The match is right: bank the upload's hashes as removed by moderators, delete it, and
    note it on the case (which stays open for the moderator to act on the account)."""
    case, match = _case_and_match(moderator, case_id)
    with transaction.atomic():
        attachment = match.attachment
        if attachment is not None:
            hash_banks.add_removed_image(moderator, attachment)
        match = hash_banks.review_match(moderator, match.pk, MatchStatus.CONFIRMED)
        if attachment is not None:
            _delete_upload(attachment)
        owner = f"@{match.owner.username}" if match.owner else _("a deleted account")
        CaseNote.objects.create(
            case=case,
            author=moderator,
            text=_(
                "Hash match confirmed (bank: %(bank)s): the upload by %(owner)s was deleted "
                "and its hashes added to the bank of images removed by moderators."
            )
            % {"bank": match.bank_name or "-", "owner": owner},
        )
    return match


def release(moderator: User, case_id: int) -> HashMatch:
    """The match is wrong: the upload may be posted, and the case is dismissed."""
    case, match = _case_and_match(moderator, case_id)
    with transaction.atomic():
        match = hash_banks.review_match(moderator, match.pk, MatchStatus.RELEASED)
        cases.dismiss(moderator, case.pk, _("Hash match released: the upload may be posted."))
    return match
