"""The moderators' side of reports: assigning cases, internal notes, dismissing and resolving,
one case at a time or many at once. Every function checks the `moderate_content` permission.

Enforcement (limiting, freezing, suspending, removing content) lives in
`moderation.enforcement`; resolving a case here records that a moderator decided it."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.moderation.models import Case, CaseNote, CaseState, Report

PERMISSION = "moderate_content"
MAX_NOTE_LENGTH = 5000
MAX_BULK = 200


def _check(moderator: User) -> None:
    if not moderator.is_authenticated or not moderator.is_active or not moderator.can(PERMISSION):
        raise PermissionDenied(_("Only moderators can handle reports."))


def _locked(case_id: int) -> Case:
    found = Case.objects.select_for_update().filter(pk=case_id).first()
    if found is None:
        raise ValidationError(_("That case does not exist."))
    return found


def _clean_note(text: str, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({"text": _("Write a note.")})
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError(
            {"text": _("A note has at most %(count)d characters.") % {"count": MAX_NOTE_LENGTH}}
        )
    return text


def _assignee(moderator: User, assignee: User | None) -> User | None:
    if assignee is not None and (not assignee.is_active or not assignee.can(PERMISSION)):
        raise ValidationError(_("Cases can only be assigned to moderators."))
    return assignee


def assign(moderator: User, case_id: int, assignee: User | None) -> Case:
    """Give the case to `assignee` (a moderator; None: nobody)."""
    _check(moderator)
    _assignee(moderator, assignee)
    with transaction.atomic():
        case = _locked(case_id)
        case.assigned_to = assignee
        case.updated_at = timezone.now()
        case.save(update_fields=["assigned_to", "updated_at"])
    return case


def add_note(moderator: User, case_id: int, text: str) -> CaseNote:
    """An internal note on the case, for the other moderators."""
    _check(moderator)
    text = _clean_note(text, required=True)
    with transaction.atomic():
        case = _locked(case_id)
        note = CaseNote.objects.create(case=case, author=moderator, text=text)
        case.updated_at = timezone.now()
        case.save(update_fields=["updated_at"])
    return note


def _close(moderator: User, case: Case, state: str, note: str) -> None:
    if not case.is_open:
        raise ValidationError(_("This case was already decided."))
    now = timezone.now()
    if note:
        CaseNote.objects.create(case=case, author=moderator, text=note)
    case.state = state
    case.resolved_by = moderator
    case.resolved_at = now
    case.updated_at = now
    case.save(update_fields=["state", "resolved_by", "resolved_at", "updated_at"])
    # The reporters' apps see their reports as handled (Mastodon's action_taken).
    Report.objects.filter(case=case).update(action_taken=True, action_taken_at=now)
    # Whoever sent a notice about it is told the decision (by email, once committed).
    from townsquare.moderation.notices import notify_decided

    notify_decided(case)


def dismiss(moderator: User, case_id: int, note: str = "") -> Case:
    """Nothing to do about it: the case is closed, with the moderator's reason as a note."""
    _check(moderator)
    note = _clean_note(note, required=False)
    with transaction.atomic():
        case = _locked(case_id)
        _close(moderator, case, CaseState.DISMISSED, note)
    return case


def resolve(moderator: User, case_id: int, note: str = "") -> Case:
    """The case is handled (an action was taken, or it is settled otherwise)."""
    _check(moderator)
    note = _clean_note(note, required=False)
    with transaction.atomic():
        case = _locked(case_id)
        _close(moderator, case, CaseState.RESOLVED, note)
    return case


def _bulk_ids(case_ids: Sequence[int]) -> list[int]:
    ids = sorted(set(case_ids))
    if not ids:
        raise ValidationError(_("Choose at least one case."))
    if len(ids) > MAX_BULK:
        raise ValidationError(_("Choose at most %(count)d cases at a time.") % {"count": MAX_BULK})
    return ids


def bulk_dismiss(moderator: User, case_ids: Sequence[int], note: str = "") -> int:
    """Dismiss many open cases at once (those already decided are left as they are); how
    many were dismissed."""
    _check(moderator)
    ids = _bulk_ids(case_ids)
    note = _clean_note(note, required=False)
    done = 0
    with transaction.atomic():
        for case in Case.objects.select_for_update().filter(pk__in=ids, state=CaseState.OPEN):
            _close(moderator, case, CaseState.DISMISSED, note)
            done += 1
    return done


def bulk_assign(moderator: User, case_ids: Sequence[int], assignee: User | None) -> int:
    """Give many cases to `assignee` (None: nobody) at once; how many changed."""
    _check(moderator)
    ids = _bulk_ids(case_ids)
    _assignee(moderator, assignee)
    with transaction.atomic():
        return Case.objects.filter(pk__in=ids).update(
            assigned_to=assignee, updated_at=timezone.now()
        )
