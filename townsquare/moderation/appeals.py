"""Appeals (DSA article 20): the affected member, and a member who reported the case, may
appeal a decision (its `Statement`) for six months (`statements.appeal_until`); one open
appeal per person and statement. A moderator who did not take the decision, when there is
one, upholds or reverses it with a reply: reversing lifts the statement's enforcements and
removes its strikes. The appellant is emailed the outcome in their language; both steps are
audited.

Not yet: a notifier without an account (a `Notice`) cannot appeal (a link in their decision
email is planned)."""

from __future__ import annotations

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
    Report,
    Statement,
    Strike,
)

PERMISSION = "moderate_content"
MAX_TEXT = 5000
OUTCOMES = (AppealState.UPHELD, AppealState.REVERSED)


def _clean_text(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: _("The text is too long.")})
    return text


def role_of(member: User, statement: Statement) -> str | None:
    """How `member` may appeal `statement` (affected, reporter), or None."""
    if statement.account_id == member.pk:
        return AppealRole.AFFECTED
    if (
        statement.case_id is not None
        and Report.objects.filter(case_id=statement.case_id, reporter_id=member.pk).exists()
    ):
        return AppealRole.REPORTER
    return None


def may_appeal(member: User, statement: Statement) -> bool:
    return (
        role_of(member, statement) is not None
        and timezone.now() <= statements.appeal_until(statement)
        and not open_appeal_of(member, statement)
    )


def open_appeal_of(member: User, statement: Statement) -> Appeal | None:
    return Appeal.objects.filter(
        statement=statement, appellant=member, state=AppealState.OPEN
    ).first()


def appeal(member: User, statement_id: int, text: str) -> Appeal:
    """`member` appeals the decision of statement `statement_id`."""
    statement = Statement.objects.filter(pk=statement_id).first()
    role = role_of(member, statement) if statement is not None else None
    if statement is None or role is None:
        raise PermissionDenied(_("You cannot appeal this decision."))
    if timezone.now() > statements.appeal_until(statement):
        raise ValidationError(_("The time to appeal this decision has passed."))
    text = _clean_text(text, "text", _("Explain why the decision should change."))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=member.pk).first()  # one at a time
        if open_appeal_of(member, statement) is not None:
            raise ValidationError(_("You already appealed this decision."))
        made = Appeal.objects.create(statement=statement, appellant=member, role=role, text=text)
        audit.record(
            member,
            "appeal.create",
            target=audit.Target("appeal", made.pk, f"Appeal {made.pk}"),
            after={"statement": statement.pk, "role": role},
        )
    return made


def _other_moderator_exists(statement: Statement) -> bool:
    if statement.moderator_id is None:  # an automated decision: anyone reviews it
        return False
    candidates = (
        User.objects.filter(is_active=True)
        .filter(Q(role__in=("admin", "moderator")) | Q(staff_role__isnull=False))
        .exclude(pk=statement.moderator_id)
        .select_related("staff_role")
    )
    return any(user.can(PERMISSION) for user in candidates)


def may_decide(moderator: User, statement: Statement) -> bool:
    if not moderator.can(PERMISSION):
        return False
    took_it = statement.moderator_id == moderator.pk
    return not (took_it and _other_moderator_exists(statement))


def open_appeals() -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(state=AppealState.OPEN)
        .select_related("statement", "appellant", "statement__account")
        .order_by("created_at")
    )


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
        statement = found.statement
        if not may_decide(moderator, statement):
            raise PermissionDenied(
                _("You took this decision: another moderator must review the appeal.")
            )
        lifted: list[int] = []
        removed = 0
        if outcome == AppealState.REVERSED:
            for record in statement.enforcements.filter(lifted_at__isnull=True):
                enforcement.lift(moderator, record)
                lifted.append(record.pk)
            removed, _kinds = Strike.objects.filter(statement=statement).delete()
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
            after={
                "state": outcome,
                "statement": statement.pk,
                "lifted": lifted,
                "strikes_removed": removed,
            },
        )
    email_outcome(found)
    return found


def email_outcome(found: Appeal) -> None:
    member = found.appellant
    if member is None or not member.email:
        return
    from townsquare.site import state

    site_name = state.site_name()
    with speaking_to(member):
        subject = _("The outcome of your appeal on %(site)s") % {"site": site_name}
        body = render_to_string(
            "moderation/email/appeal_decided.txt",
            {
                "appeal": found,
                "member": member,
                "site_name": site_name,
                "link": f"{settings.BASE_URL}/statements/{found.statement_id}",
                "reversed": found.state == AppealState.REVERSED,
            },
        )
    enqueue(send_email, subject, body, member.email)


__all__ = ["appeal", "decide", "may_appeal", "may_decide", "open_appeals", "role_of"]
