"""Appeals (DSA article 20) against a decision: a `Statement` (an action was taken) or a case
closed without one (a dismissal, or a case resolved without an action).

Who appeals, for six months after the decision (`appeal_until`):
- a statement: the affected member, and the members who reported its case;
- a dismissal: the members who reported the case;
- either: a notifier without an account, through the signed link of the decision email
  sent about their notice (`moderation.notice_appeals`).
One open appeal per person (or notice) and decision.

A moderator who did not take the decision, when there is one, upholds or reverses it with a
reply: reversing a statement lifts its enforcements and removes its strikes; reversing a
dismissal reopens the case in the queue (`Case.reopened_by`) so a moderator decides anew.
The appellant is told the outcome by email in their language (members also read it on their
statement or reports page); every step is audited."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.languages import speaking_to
from townsquare.accounts.models import User
from townsquare.accounts.tasks import send_email
from townsquare.core.jobs import enqueue
from townsquare.moderation import audit, enforcement, statements
from townsquare.moderation.models import (
    Appeal,
    AppealRole,
    AppealState,
    Case,
    CaseNote,
    CaseState,
    Report,
    Statement,
    Strike,
)

PERMISSION = "moderate_content"
MAX_TEXT = 5000
OUTCOMES = (AppealState.UPHELD, AppealState.REVERSED)

Decision = Statement | Case  # what an appeal is against


def _clean_text(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: _("The text is too long.")})
    return text


# --- decisions ----------------------------------------------------------------------------


def decision_of_case(case: Case) -> Decision | None:
    """The decision a closed case ended with: its moderator's statement, or the case itself
    when it was closed without one (None while it is open)."""
    if case.is_open:
        return None
    statement = case.statements.order_by("id").first()  # the moderator's, then any escalation
    return statement if statement is not None else case


def decided_at(decision: Decision) -> datetime:
    if isinstance(decision, Statement):
        return decision.application_date
    return decision.resolved_at or decision.updated_at


def appeal_until(decision: Decision) -> datetime:
    return statements.add_months(decided_at(decision), statements.APPEAL_MONTHS)


def _decider_id(decision: Decision) -> int | None:
    if isinstance(decision, Statement):
        return decision.moderator_id
    return decision.resolved_by_id


def _case_id(decision: Decision) -> int | None:
    return decision.case_id if isinstance(decision, Statement) else decision.pk


def on_decision(decision: Decision) -> Q:
    if isinstance(decision, Statement):
        return Q(statement=decision)
    return Q(case=decision)


def decision_of(found: Appeal) -> Decision:
    decision = found.statement if found.statement_id is not None else found.case
    assert decision is not None  # the check constraint: exactly one is set
    return decision


def _appealable_case(case: Case | None) -> bool:
    return case is not None and not case.is_open and not case.statements.exists()


# --- members ------------------------------------------------------------------------------


def role_of(member: User, decision: Decision) -> str | None:
    """How `member` may appeal `decision` (affected, reporter), or None."""
    if isinstance(decision, Statement) and decision.account_id == member.pk:
        return AppealRole.AFFECTED
    case_id = _case_id(decision)
    if (
        case_id is not None
        and Report.objects.filter(case_id=case_id, reporter_id=member.pk).exists()
    ):
        return AppealRole.REPORTER
    return None


def open_appeal_of(member: User, decision: Decision) -> Appeal | None:
    return Appeal.objects.filter(
        on_decision(decision), appellant=member, state=AppealState.OPEN
    ).first()


def may_appeal(member: User, decision: Decision) -> bool:
    return (
        role_of(member, decision) is not None
        and timezone.now() <= appeal_until(decision)
        and not open_appeal_of(member, decision)
    )


def _create(
    appellant: User | None,
    decision: Decision,
    role: str,
    text: str,
    notice_id: int | None = None,
) -> Appeal:
    made = Appeal.objects.create(
        statement=decision if isinstance(decision, Statement) else None,
        case=decision if isinstance(decision, Case) else None,
        appellant=appellant,
        notice_id=notice_id,
        role=role,
        text=text,
    )
    kind = "statement" if isinstance(decision, Statement) else "case"
    audit.record(
        appellant,
        "appeal.create",
        target=audit.Target("appeal", made.pk, f"Appeal {made.pk}"),
        after={kind: decision.pk, "role": role, "notice": notice_id},
    )
    return made


def _appeal(member: User, decision: Decision | None, text: str) -> Appeal:
    role = role_of(member, decision) if decision is not None else None
    if decision is None or role is None:
        raise PermissionDenied(_("You cannot appeal this decision."))
    if timezone.now() > appeal_until(decision):
        raise ValidationError(_("The time to appeal this decision has passed."))
    text = _clean_text(text, "text", _("Explain why the decision should change."))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=member.pk).first()  # one at a time
        if open_appeal_of(member, decision) is not None:
            raise ValidationError(_("You already appealed this decision."))
        return _create(member, decision, role, text)


def appeal(member: User, statement_id: int, text: str) -> Appeal:
    """`member` appeals the decision of statement `statement_id`."""
    return _appeal(member, Statement.objects.filter(pk=statement_id).first(), text)


def appeal_dismissal(member: User, case_id: int, text: str) -> Appeal:
    """`member`, who reported case `case_id`, appeals its dismissal (a case closed without a
    statement)."""
    case = Case.objects.filter(pk=case_id).first()
    return _appeal(member, case if _appealable_case(case) else None, text)


# --- notifiers without an account ---------------------------------------------------------


def appeal_as_notifier(notice_id: int, decision: Decision, text: str) -> Appeal:
    """The sender of notice `notice_id` appeals `decision` on what it named (the link of
    their decision email was checked by the caller: `moderation.notice_appeals`)."""
    from townsquare.moderation.models import Notice

    case_id = _case_id(decision)
    if isinstance(decision, Case) and not _appealable_case(decision):
        raise PermissionDenied(_("You cannot appeal this decision."))
    if case_id is None or not Report.objects.filter(case_id=case_id, notice_id=notice_id).exists():
        raise PermissionDenied(_("You cannot appeal this decision."))
    if timezone.now() > appeal_until(decision):
        raise ValidationError(_("The time to appeal this decision has passed."))
    text = _clean_text(text, "text", _("Explain why the decision should change."))
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            raise PermissionDenied(_("You cannot appeal this decision."))
        same = Q(notice_id=notice.pk)
        if notice.member_id is not None:  # a member who sent it logged in: one appeal too
            same |= Q(appellant_id=notice.member_id)
        if Appeal.objects.filter(on_decision(decision), same, state=AppealState.OPEN).exists():
            raise ValidationError(_("You already appealed this decision."))
        return _create(notice.member, decision, AppealRole.NOTIFIER, text, notice.pk)


# --- reviewing ----------------------------------------------------------------------------


def _other_moderator_exists(decider_id: int | None) -> bool:
    if decider_id is None:  # an automated decision: anyone reviews it
        return False
    candidates = (
        User.objects.filter(is_active=True)
        .filter(Q(role__in=("admin", "moderator")) | Q(staff_role__isnull=False))
        .exclude(pk=decider_id)
        .select_related("staff_role")
    )
    return any(user.can(PERMISSION) for user in candidates)


def may_decide(moderator: User, decision: Decision) -> bool:
    """A moderator reviews an appeal unless they took the decision and another could."""
    if not moderator.can(PERMISSION):
        return False
    decider_id = _decider_id(decision)
    took_it = decider_id == moderator.pk
    return not (took_it and _other_moderator_exists(decider_id))


def open_appeals() -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(state=AppealState.OPEN)
        .select_related("statement", "statement__account", "case", "appellant", "notice")
        .order_by("created_at")
    )


def _reverse_statement(moderator: User, statement: Statement) -> dict[str, object]:
    lifted: list[int] = []
    for record in statement.enforcements.filter(lifted_at__isnull=True):
        enforcement.lift(moderator, record)
        lifted.append(record.pk)
    removed, _kinds = Strike.objects.filter(statement=statement).delete()
    return {"statement": statement.pk, "lifted": lifted, "strikes_removed": removed}


def _reopen(moderator: User, case: Case, reply: str) -> dict[str, object]:
    """Put a dismissed case back in the queue; when its target has another open case by
    now, its reports join that one instead."""
    from townsquare.moderation.actions import priority_of

    case = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    note = _("The dismissal was reversed on appeal: decide this case again.") + "\n" + reply
    case.reopened_by = moderator
    case.reopened_at = now
    case.updated_at = now
    other = (
        Case.objects.select_for_update()
        .filter(kind=case.kind, target_id=case.target_id, state=CaseState.OPEN)
        .exclude(pk=case.pk)
        .first()
    )
    if other is None:
        case.state = CaseState.OPEN
        case.resolved_by = None
        case.resolved_at = None
        case.save(
            update_fields=[
                "state",
                "resolved_by",
                "resolved_at",
                "reopened_by",
                "reopened_at",
                "updated_at",
            ]
        )
        Report.objects.filter(case=case).update(action_taken=False, action_taken_at=None)
        CaseNote.objects.create(case=case, author=moderator, text=note)
        return {"case": case.pk, "reopened": case.pk}
    case.save(update_fields=["reopened_by", "reopened_at", "updated_at"])
    Report.objects.filter(case=case).update(case=other, action_taken=False, action_taken_at=None)
    other.report_count = other.reports.count()
    other.priority = priority_of(
        set(other.reports.values_list("category", flat=True)), other.report_count
    )
    other.updated_at = now
    other.save(update_fields=["report_count", "priority", "updated_at"])
    CaseNote.objects.create(case=other, author=moderator, text=note)
    return {"case": case.pk, "reopened": other.pk}


def decide(moderator: User, appeal_id: int, outcome: str, reply: str) -> Appeal:
    """Uphold or reverse the appeal's decision (see the module's docstring)."""
    if not moderator.can(PERMISSION):
        raise PermissionDenied(_("You do not have the permission to do that."))
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": _("Choose whether to uphold or reverse the decision.")})
    reply = _clean_text(reply, "reply", _("Explain the outcome to the member."))
    with transaction.atomic():
        found = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
        if found is None:
            raise ValidationError(_("That appeal does not exist."))
        if found.state != AppealState.OPEN:
            raise ValidationError(_("This appeal was already decided."))
        decision = decision_of(found)
        if not may_decide(moderator, decision):
            raise PermissionDenied(
                _("You took this decision: another moderator must review the appeal.")
            )
        undone: dict[str, object] = {}
        if outcome == AppealState.REVERSED:
            if isinstance(decision, Statement):
                undone = _reverse_statement(moderator, decision)
            else:
                undone = _reopen(moderator, decision, reply)
        elif isinstance(decision, Statement):
            undone = {"statement": decision.pk}
        else:
            undone = {"case": decision.pk}
        found.state = outcome
        found.decided_by = moderator
        found.decided_at = timezone.now()
        found.reply = reply
        found.save(update_fields=["state", "decided_by", "decided_at", "reply"])
        audit.record(
            moderator,
            "appeal.decide",
            target=audit.Target("appeal", found.pk, f"Appeal {found.pk}"),
            before={"state": AppealState.OPEN},
            after={"state": outcome, **undone},
        )
    if found.role == AppealRole.NOTIFIER:
        from townsquare.moderation import notice_appeals

        notice_appeals.email_outcome(found)
    else:
        email_outcome(found)
    return found


def email_outcome(found: Appeal) -> None:
    """Email a member the outcome of their appeal, in their language."""
    member = found.appellant
    if member is None or not member.email:
        return
    from townsquare.site import state

    site_name = state.site_name()
    if found.role == AppealRole.AFFECTED:
        link = f"{settings.BASE_URL}/statements/{found.statement_id}"
    else:
        link = f"{settings.BASE_URL}/reports"
    with speaking_to(member):
        subject = _("The outcome of your appeal on %(site)s") % {"site": site_name}
        body = render_to_string(
            "moderation/email/appeal_decided.txt",
            {
                "appeal": found,
                "member": member,
                "site_name": site_name,
                "link": link,
                "reversed": found.state == AppealState.REVERSED,
                "dismissal": found.case_id is not None,
            },
        )
    enqueue(send_email, subject, body, member.email)


__all__ = [
    "appeal",
    "appeal_as_notifier",
    "appeal_dismissal",
    "appeal_until",
    "decide",
    "decision_of_case",
    "may_appeal",
    "may_decide",
    "open_appeals",
    "role_of",
]
