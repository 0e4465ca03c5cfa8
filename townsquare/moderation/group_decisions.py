"""Deciding a case about a GROUP (`Case.kind == "group"`): a warning, or limiting, freezing or
suspending the group itself (`group_enforcement`), never its creator's account. Called by
`decisions.act_on_case` and `decisions.bulk_act` inside their transaction, so a group case is
decided like any other: the enforcement, the statement of reasons, the audit entry and the
case resolved at once, then the statement emailed.

Decisions made here:
- The statement (DSA article 17) is addressed to the group's admins: `Statement.group` is the
  group, `Statement.account` its owner (so the owner lists it with their statements and may
  appeal), and every admin may read it (`statements.may_read`) and is emailed it. Its content
  type is "other: group"; limiting is DECISION_VISIBILITY_CONTENT_DEMOTED, freezing
  DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED and suspending
  DECISION_VISIBILITY_CONTENT_DISABLED (the group's content is what is restricted; nobody's
  account is), with the end in `end_date_visibility_restriction`.
- No strikes: a decision about a group adds none to anyone (the group is run by several
  people; a moderator who finds one of them at fault decides on their account or posts). The
  severity chosen is kept on the statement only.
- Removing posts or marking media sensitive needs a post case: refused here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.communities.models import Group
from townsquare.moderation import audit, cases, enforcement, group_enforcement, statements
from townsquare.moderation.models import (
    AutomatedDecision,
    Case,
    CaseState,
    DecisionAction,
    DecisionGround,
    EnforcementKind,
    Statement,
)

if TYPE_CHECKING:
    from townsquare.accounts.models import User
    from townsquare.moderation.decisions import Ground

GROUP_ACTIONS = (
    DecisionAction.WARN,
    DecisionAction.LIMIT,
    DecisionAction.FREEZE,
    DecisionAction.SUSPEND,
)
DSA_GROUP_DECISION = {
    DecisionAction.LIMIT: "DECISION_VISIBILITY_CONTENT_DEMOTED",
    DecisionAction.FREEZE: "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    DecisionAction.SUSPEND: "DECISION_VISIBILITY_CONTENT_DISABLED",
}
_KINDS = {
    DecisionAction.LIMIT: EnforcementKind.LIMIT,
    DecisionAction.FREEZE: EnforcementKind.FREEZE,
    DecisionAction.SUSPEND: EnforcementKind.SUSPEND,
}


def decide_group(
    moderator: User,
    case: Case,
    *,
    action: str,
    duration: timedelta | None,
    ground: Ground,
    severity: int,
) -> list[Statement]:
    """Decide the open group case `case` (locked by the caller, in its transaction)."""
    from townsquare.moderation import decisions

    if action not in GROUP_ACTIONS:
        raise ValidationError(
            {"action": _("For a group, choose a warning, or limit, freeze or suspend it.")}
        )
    group = Group.objects.select_for_update().filter(pk=case.target_id).first()
    if group is None:
        raise ValidationError(_("The group is gone: dismiss or resolve the case."))
    enforcement._check(moderator)
    records = []
    if action != DecisionAction.WARN:
        records.append(
            group_enforcement.restrict_group(
                _KINDS[DecisionAction(action)],
                moderator,
                group,
                reason=ground.explanation,
                duration=duration,
            )
        )
    addressee = records[0].account if records else group_enforcement.responsible(group)
    source, detected = decisions._source(case)
    statement = Statement(
        case=case,
        account=addressee,
        group=group,
        moderator=moderator,
        action=action,
        severity=severity,
        account_type="ACCOUNT_TYPE_PRIVATE",
        decision_ground=DecisionGround.ILLEGAL if ground.illegal else DecisionGround.INCOMPATIBLE,
        rule_id=ground.rule_id,
        content_type=["CONTENT_TYPE_OTHER"],
        content_type_other="group",
        category=decisions._category(case, ground.illegal),
        decision_facts=decisions._facts(case, action, automated=False),
        source_type=source,
        automated_detection=detected,
        automated_decision=AutomatedDecision.NOT_AUTOMATED,
        territorial_scope=list(statements.EEA),
        content_date=group.created_at,
        application_date=timezone.now(),
    )
    if ground.illegal:
        statement.illegal_content_legal_ground = ground.legal_ground
        statement.illegal_content_explanation = ground.explanation
    else:
        statement.incompatible_content_ground = ground.rule_text
        statement.incompatible_content_explanation = ground.explanation
    if action in DSA_GROUP_DECISION:
        statement.decision_visibility = [DSA_GROUP_DECISION[DecisionAction(action)]]
        if records and records[0].ends_at is not None:
            statement.end_date_visibility_restriction = records[0].ends_at
    statement.save()
    statement.enforcements.set(records)
    audit.record(
        moderator,
        "case.act",
        target=audit.Target("case", case.pk, f"Case {case.pk}"),
        after={
            "action": action,
            "group": group.pk,
            "account": addressee.pk if addressee is not None else None,
            "enforcements": [r.pk for r in records],
            "statement": statement.pk,
            "severity": severity,
        },
    )
    cases._close(moderator, case, CaseState.RESOLVED, "")
    return [statement]
