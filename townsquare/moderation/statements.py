"""Statements of reasons: what the DSA fields of a decision are, who may read a statement,
and the export in the EU Transparency Database's JSON format (no personal data: no
usernames, emails or ids of people or their content; the statement's own id is its `puid`).

The allowed values are those of the Transparency Database's API
(https://transparency.dsa.ec.europa.eu/page/api-documentation)."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet

from townsquare.accounts.models import User
from townsquare.moderation.models import (
    AutomatedDecision,
    DecisionAction,
    DecisionGround,
    SourceType,
    Statement,
    StatementCategory,
)

# The EEA member states (the territorial scope of a site open to anyone).
EEA = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip

DECISION_VISIBILITY = (
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
)
DECISION_MONETARY = (
    "DECISION_MONETARY_SUSPENSION",
    "DECISION_MONETARY_TERMINATION",
    "DECISION_MONETARY_OTHER",
)
DECISION_PROVISION = (
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
)
DECISION_ACCOUNT = ("DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED")
ACCOUNT_TYPES = ("ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE")
CONTENT_TYPES = (
    "CONTENT_TYPE_APP",
    "CONTENT_TYPE_AUDIO",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_VIDEO",
    "CONTENT_TYPE_OTHER",
)

# What each of our actions is in the DSA's terms: (field, value, the end date's field).
DSA_DECISION: dict[str, tuple[str, str, str]] = {
    DecisionAction.REMOVE: (
        "decision_visibility",
        "DECISION_VISIBILITY_CONTENT_REMOVED",
        "end_date_visibility_restriction",
    ),
    DecisionAction.SENSITIVE: (
        "decision_visibility",
        "DECISION_VISIBILITY_CONTENT_LABELLED",
        "end_date_visibility_restriction",
    ),
    DecisionAction.LIMIT: (
        "decision_visibility",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
        "end_date_visibility_restriction",
    ),
    DecisionAction.FREEZE: (
        "decision_provision",
        "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "end_date_service_restriction",
    ),
    DecisionAction.SUSPEND: (
        "decision_account",
        "DECISION_ACCOUNT_SUSPENDED",
        "end_date_account_restriction",
    ),
}

# The report categories (moderation.models.ReportCategory) in the DSA's categories.
CATEGORY_OF_REPORT = {
    "spam": StatementCategory.SCAMS,
    "legal": StatementCategory.SCOPE,
    "violation": StatementCategory.SCOPE,
    "other": StatementCategory.SCOPE,
    "harassment": StatementCategory.HARMFUL_SPEECH,
    "hate": StatementCategory.HARMFUL_SPEECH,
    "violence": StatementCategory.VIOLENCE,
    "sexual": StatementCategory.SEXUAL,
    "self_harm": StatementCategory.SELF_HARM,
}

# Exported: the decisions that restrict something (a warning restricts nothing).
EXPORTED_ACTIONS = tuple(DSA_DECISION)


def add_months(when: datetime, months: int) -> datetime:
    """`when` plus `months` calendar months (the day kept, or the month's last)."""
    month = when.month - 1 + months
    year, month = when.year + month // 12, month % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


APPEAL_MONTHS = 6  # the DSA's article 20: at least six months to appeal


def appeal_until(statement: Statement) -> datetime:
    return add_months(statement.application_date, APPEAL_MONTHS)


def may_read(user: Any, statement: Statement) -> bool:
    """The affected member and moderating staff read a statement; nobody else."""
    if not getattr(user, "is_authenticated", False):
        return False
    if statement.account_id is not None and statement.account_id == user.pk:
        return True
    if statement.group_id is not None:  # a decision about a group: its admins read it
        from townsquare.communities.models import Membership, MembershipState, Role

        if Membership.objects.filter(
            group_id=statement.group_id,
            member_id=user.pk,
            state=MembershipState.MEMBER,
            role__gte=Role.ADMIN,
        ).exists():
            return True
    return bool(user.can("moderate_content") or user.can("view_audit_log"))


def of_member(member: User) -> QuerySet[Statement]:
    return Statement.objects.filter(account=member).order_by("-application_date", "-id")


def lifted_at(statement: Statement) -> datetime | None:
    """When the decision's restrictions were all lifted (None: not lifted, or none)."""
    times = [e.lifted_at for e in statement.enforcements.all()]
    if not times or any(t is None for t in times):
        return None
    return max(t for t in times if t is not None)


# --- the export ------------------------------------------------------------------------------


def _day(value: datetime | None) -> str | None:
    if value is None or value.year >= 9999:
        return None
    return value.date().isoformat()


def as_dsa(statement: Statement) -> dict[str, Any]:
    """One statement in the Transparency Database's JSON field names and values."""
    illegal = statement.decision_ground == DecisionGround.ILLEGAL
    data: dict[str, Any] = {
        "puid": f"statement-{statement.pk}",
        "decision_visibility": list(statement.decision_visibility) or None,
        "decision_monetary": statement.decision_monetary or None,
        "decision_provision": statement.decision_provision or None,
        "decision_account": statement.decision_account or None,
        "account_type": statement.account_type,
        "decision_ground": statement.decision_ground,
        "category": statement.category,
        "content_type": list(statement.content_type),
        "decision_facts": statement.decision_facts,
        "source_type": statement.source_type,
        "automated_detection": "Yes" if statement.automated_detection else "No",
        "automated_decision": statement.automated_decision,
        "territorial_scope": list(statement.territorial_scope),
        "content_date": statement.content_date.date().isoformat(),
        "application_date": statement.application_date.date().isoformat(),
        "end_date_visibility_restriction": _day(statement.end_date_visibility_restriction),
        "end_date_monetary_restriction": _day(statement.end_date_monetary_restriction),
        "end_date_service_restriction": _day(statement.end_date_service_restriction),
        "end_date_account_restriction": _day(statement.end_date_account_restriction),
    }
    if statement.content_type_other:
        data["content_type_other"] = statement.content_type_other
    if illegal:
        data["illegal_content_legal_ground"] = statement.illegal_content_legal_ground
        data["illegal_content_explanation"] = statement.illegal_content_explanation
    else:
        data["incompatible_content_ground"] = statement.incompatible_content_ground
        data["incompatible_content_explanation"] = statement.incompatible_content_explanation
        data["incompatible_content_illegal"] = "No"
    return data


def export(start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """The statements of restricting decisions applied from `start` to `end` (days,
    inclusive), oldest first."""
    found = Statement.objects.filter(action__in=EXPORTED_ACTIONS).order_by("application_date")
    if start is not None:
        found = found.filter(application_date__date__gte=start)
    if end is not None:
        found = found.filter(application_date__date__lte=end)
    return [as_dsa(statement) for statement in found.iterator()]


# The fields every statement must have, and their allowed values (None: any non-empty text).
REQUIRED: dict[str, tuple[str, ...] | None] = {
    "puid": None,
    "decision_ground": tuple(DecisionGround.values),
    "category": tuple(StatementCategory.values),
    "decision_facts": None,
    "source_type": tuple(SourceType.values),
    "automated_detection": ("Yes", "No"),
    "automated_decision": tuple(AutomatedDecision.values),
    "application_date": None,
    "content_date": None,
    "account_type": ACCOUNT_TYPES,
}

# The longest text the Transparency Database accepts in each field.
MAX_LENGTHS = {
    "puid": 500,
    "decision_facts": 5000,
    "illegal_content_legal_ground": 500,
    "illegal_content_explanation": 2000,
    "incompatible_content_ground": 500,
    "incompatible_content_explanation": 2000,
    "content_type_other": 500,
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def problems(row: dict[str, Any]) -> list[str]:
    """What the Transparency Database would refuse in an exported statement (its API's
    validation rules), as "field: why"; empty when it is valid."""
    found = []
    for name, allowed in REQUIRED.items():
        if not row.get(name):
            found.append(f"{name}: missing")
        elif allowed is not None and row[name] not in allowed:
            found.append(f"{name}: not one of its values")
    for name, longest in MAX_LENGTHS.items():
        if len(row.get(name) or "") > longest:
            found.append(f"{name}: longer than {longest}")
    if not any(
        row.get(name)
        for name in (
            "decision_visibility",
            "decision_monetary",
            "decision_provision",
            "decision_account",
        )
    ):
        found.append("decision: no restriction named")
    if not set(row.get("decision_visibility") or ()) <= set(DECISION_VISIBILITY):
        found.append("decision_visibility: not one of its values")
    if row.get("decision_provision") not in (None, *DECISION_PROVISION):
        found.append("decision_provision: not one of its values")
    if row.get("decision_account") not in (None, *DECISION_ACCOUNT):
        found.append("decision_account: not one of its values")
    if not row.get("content_type") or not set(row["content_type"]) <= set(CONTENT_TYPES):
        found.append("content_type: missing or not one of its values")
    if "CONTENT_TYPE_OTHER" in (row.get("content_type") or ()) and not row.get(
        "content_type_other"
    ):
        found.append("content_type_other: missing")
    if not set(row.get("territorial_scope") or ()) <= set(EEA):
        found.append("territorial_scope: not an EEA country")
    for name in ("application_date", "content_date"):
        if row.get(name) and not _DAY.fullmatch(str(row[name])):
            found.append(f"{name}: not YYYY-MM-DD")
    ground = row.get("decision_ground")
    needed = (
        ("illegal_content_legal_ground", "illegal_content_explanation")
        if ground == DecisionGround.ILLEGAL
        else ("incompatible_content_ground", "incompatible_content_explanation")
    )
    found += [f"{name}: missing" for name in needed if not row.get(name)]
    return found
