"""Acting on a case: a moderator's decision (warn, mark media sensitive, remove the posts,
limit, freeze or suspend the account), with its ground (a site rule, or illegal content and
the law), explanation and severity. In ONE transaction: the enforcement, the statement of
reasons (DSA article 17, `models.Statement`), the strikes and any step of the ladder they
reach (`moderation.strikes`, with its own automated statement), the audit entries and the
case resolved. Then the affected member is emailed each statement, in their language.

A moderator cannot act above their rank (`enforcement._check`): then nothing is written.
A case about a group is decided on the group itself (`group_decisions`: no strikes; the
statement goes to the group's admins)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from townsquare.accounts.languages import site_language, speaking_to
from townsquare.accounts.models import User
from townsquare.accounts.tasks import send_email
from townsquare.core.jobs import enqueue
from townsquare.moderation import audit, cases, enforcement, hash_banks, statements, strikes
from townsquare.moderation.models import (
    SEVERITY,
    AutomatedDecision,
    Case,
    CaseState,
    DecisionAction,
    DecisionGround,
    Enforcement,
    Report,
    ReportCategory,
    SourceType,
    Statement,
    StatementCategory,
    StepAction,
    StrikeStep,
    TargetKind,
)
from townsquare.posts.models import Post

MAX_SEVERITY = 3
# The Transparency Database's limits: the legal ground 500 characters, the explanation 2,000.
MAX_LEGAL_GROUND = 500
MAX_EXPLANATION = 2000
DURATIONS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30), "": None}
POST_ACTIONS = (DecisionAction.REMOVE, DecisionAction.SENSITIVE)
ACCOUNT_ACTIONS = (DecisionAction.LIMIT, DecisionAction.FREEZE, DecisionAction.SUSPEND)


@dataclass(frozen=True)
class Ground:
    """Why: a site rule (`rule_id`) or illegal content (`legal_ground`), and the explanation."""

    illegal: bool
    rule_id: int | None
    rule_text: str
    legal_ground: str
    explanation: str


def clean_ground(ground: str, rule_id: int | None, legal_ground: str, explanation: str) -> Ground:
    from townsquare.site.models import Rule

    explanation = (explanation or "").strip()
    if not explanation:
        raise ValidationError({"explanation": _("Explain the decision to the member.")})
    if len(explanation) > MAX_EXPLANATION:
        raise ValidationError(
            {
                "explanation": _("The explanation is too long (at most %(count)d characters).")
                % {"count": MAX_EXPLANATION}
            }
        )
    if ground == "illegal":
        legal_ground = (legal_ground or "").strip()
        if not legal_ground:
            raise ValidationError({"legal_ground": _("Name the law the content breaks.")})
        if len(legal_ground) > MAX_LEGAL_GROUND:
            raise ValidationError({"legal_ground": _("The legal ground is too long.")})
        return Ground(True, None, "", legal_ground, explanation)
    if ground != "rule":
        raise ValidationError({"ground": _("Choose the ground of the decision.")})
    rule = Rule.objects.filter(pk=rule_id).first() if rule_id is not None else None
    if rule is None:
        raise ValidationError({"rule": _("Choose the rule that was broken.")})
    return Ground(False, rule.pk, rule.text, "", explanation)


def _case_posts(case: Case, account: User) -> list[Post]:
    ids: set[int] = set()
    if case.kind == TargetKind.POST:
        ids.add(case.target_id)
    for post_ids in Report.objects.filter(case=case).values_list("post_ids", flat=True):
        ids.update(int(pk) for pk in post_ids or [])
    return list(Post.objects.filter(pk__in=ids, author_id=account.pk).order_by("id"))


def _category(case: Case | None, illegal: bool) -> str:
    if case is None:
        return StatementCategory.SCOPE
    found = list(Report.objects.filter(case=case).values_list("category", flat=True))
    if not found:
        return StatementCategory.SCOPE
    worst = max(
        found, key=lambda c: SEVERITY.get(ReportCategory(c), 0) if c in ReportCategory.values else 0
    )
    return statements.CATEGORY_OF_REPORT.get(worst, StatementCategory.SCOPE)


def _content(
    case: Case | None, account: User, posts: list[Post]
) -> tuple[list[str], str, datetime]:
    """(content types, content_type_other, content date)."""
    if posts:
        types = {"CONTENT_TYPE_TEXT"}
        for post in posts:
            for kind in post.media_attachments.values_list("kind", flat=True):
                types.add("CONTENT_TYPE_IMAGE" if kind == "image" else "CONTENT_TYPE_VIDEO")
        return sorted(types), "", min(post.created_at for post in posts)
    if case is not None and case.kind == TargetKind.MESSAGE:
        return ["CONTENT_TYPE_TEXT"], "", case.created_at
    return ["CONTENT_TYPE_OTHER"], "account", account.created_at


def _facts(case: Case | None, action: str, *, automated: bool, strikes_count: int = 0) -> str:
    with translation.override(site_language()):
        if automated:
            return _(
                "The account reached %(count)d strikes for breaking the site's rules, a step "
                "of the site's escalation ladder; the action was applied automatically."
            ) % {"count": strikes_count}
        if case is not None and case.report_count:
            return _(
                "The content was reported %(count)d time(s) and reviewed by a moderator, who "
                "decided: %(action)s."
            ) % {"count": case.report_count, "action": DecisionAction(action).label}
        return _("A moderator reviewed the content and decided: %(action)s.") % {
            "action": DecisionAction(action).label
        }


def _source(case: Case | None) -> tuple[str, bool]:
    """(source_type, automated_detection) of a case."""
    origin = getattr(case, "source", "member") if case is not None else "automated_escalation"
    if origin == "automated":
        return SourceType.VOLUNTARY, True
    if case is None or origin == "automated_escalation":
        return SourceType.VOLUNTARY, False
    if not case.report_count and origin == "member":
        return SourceType.VOLUNTARY, False
    return SourceType.NOTICE, False


def _statement(
    *,
    case: Case | None,
    account: User,
    moderator: User | None,
    action: str,
    ground: Ground,
    records: list[Enforcement],
    posts: list[Post],
    severity: int,
    automated: bool = False,
    strikes_count: int = 0,
) -> Statement:
    types, other, content_date = _content(case, account, posts)
    source, detected = _source(None if automated else case)
    statement = Statement(
        case=case,
        account=account,
        moderator=None if automated else moderator,
        action=action,
        severity=severity,
        account_type="ACCOUNT_TYPE_BUSINESS" if account.is_page else "ACCOUNT_TYPE_PRIVATE",
        decision_ground=DecisionGround.ILLEGAL if ground.illegal else DecisionGround.INCOMPATIBLE,
        rule_id=ground.rule_id,
        content_type=types,
        content_type_other=other,
        category=_category(case, ground.illegal),
        decision_facts=_facts(case, action, automated=automated, strikes_count=strikes_count),
        source_type=source,
        automated_detection=detected,
        automated_decision=(
            AutomatedDecision.FULLY if automated else AutomatedDecision.NOT_AUTOMATED
        ),
        territorial_scope=list(statements.EEA),
        content_date=content_date,
        application_date=timezone.now(),
    )
    if ground.illegal:
        statement.illegal_content_legal_ground = ground.legal_ground
        statement.illegal_content_explanation = ground.explanation
    else:
        statement.incompatible_content_ground = ground.rule_text
        statement.incompatible_content_explanation = ground.explanation
    if action in statements.DSA_DECISION:
        field, value, end_field = statements.DSA_DECISION[action]
        setattr(statement, field, [value] if field == "decision_visibility" else value)
        ends = [r.ends_at for r in records]
        if ends and all(end is not None for end in ends):
            setattr(statement, end_field, max(e for e in ends if e is not None))
    statement.save()
    statement.enforcements.set(records)
    return statement


def _enforce(
    moderator: User,
    action: str,
    account: User,
    posts: list[Post],
    duration: timedelta | None,
    reason: str,
) -> list[Enforcement]:
    if action == DecisionAction.WARN:
        return []
    if action in POST_ACTIONS:
        if not posts:
            raise ValidationError(_("There is no post of this account in the case to act on."))
        if action == DecisionAction.REMOVE:
            done = [enforcement.remove_post(moderator, post, reason) for post in posts]
            for post in posts:
                for attachment in post.media_attachments.filter(kind="image"):
                    hash_banks.add_removed_image(moderator, attachment)
            return done
        return [enforcement.mark_sensitive(moderator, post, reason) for post in posts]
    restrict = {
        DecisionAction.LIMIT: enforcement.limit_account,
        DecisionAction.FREEZE: enforcement.freeze_account,
        DecisionAction.SUSPEND: enforcement.suspend_account,
    }[DecisionAction(action)]
    return [restrict(moderator, account, reason=reason, duration=duration)]


def _escalate(
    moderator: User, account: User, step: StrikeStep, case: Case | None, ground: Ground
) -> Statement:
    duration = timedelta(days=step.duration_days) if step.duration_days else None
    reason = _("Automatic: %(count)d strikes") % {"count": step.strikes}
    records = _enforce(moderator, step.action, account, [], duration, reason)
    rule_text = _("Repeated breaches of the site's rules (strikes)")
    automated_ground = Ground(False, None, rule_text, "", ground.explanation)
    statement = _statement(
        case=case,
        account=account,
        moderator=None,
        action=step.action,
        ground=automated_ground,
        records=records,
        posts=[],
        severity=0,
        automated=True,
        strikes_count=step.strikes,
    )
    audit.record(
        moderator,
        "strikes.escalate",
        target=account,
        after={"step": step.strikes, "action": step.action, "statement": statement.pk},
    )
    return statement


def _decide(
    moderator: User,
    case: Case,
    *,
    action: str,
    duration: timedelta | None,
    ground: Ground,
    severity: int,
) -> list[Statement]:
    if not case.is_open:
        raise ValidationError(_("This case was already decided."))
    if case.kind == TargetKind.GROUP:  # the group itself, not its creator's account
        from townsquare.moderation.group_decisions import decide_group

        return decide_group(
            moderator, case, action=action, duration=duration, ground=ground, severity=severity
        )
    if case.account_id is None:
        raise ValidationError(_("The account responsible is gone: dismiss or resolve the case."))
    account = User.objects.select_for_update().filter(pk=case.account_id, is_active=True).first()
    if account is None:
        raise ValidationError(_("The account responsible is gone: dismiss or resolve the case."))
    enforcement._check(moderator, account)  # the permission and the rank, before anything
    posts = _case_posts(case, account) if action in POST_ACTIONS else []
    records = _enforce(moderator, action, account, posts, duration, ground.explanation)
    statement = _statement(
        case=case,
        account=account,
        moderator=moderator,
        action=action,
        ground=ground,
        records=records,
        posts=posts or _case_posts(case, account),
        severity=severity,
    )
    made = [statement]
    step = strikes.add(account, severity, statement)
    audit.record(
        moderator,
        "case.act",
        target=audit.Target("case", case.pk, f"Case {case.pk}"),
        after={
            "action": action,
            "account": account.pk,
            "enforcements": [r.pk for r in records],
            "statement": statement.pk,
            "severity": severity,
        },
    )
    if step is not None:
        made.append(_escalate(moderator, account, step, case, ground))
    cases._close(moderator, case, CaseState.RESOLVED, "")
    return made


def _check_inputs(action: str, duration: str, severity: int) -> timedelta | None:
    if action not in DecisionAction.values:
        raise ValidationError({"action": _("Choose an action.")})
    if duration not in DURATIONS:
        raise ValidationError({"duration": _("Choose how long it lasts.")})
    if not 0 <= severity <= MAX_SEVERITY:
        raise ValidationError({"severity": _("The severity is from 0 to 3.")})
    return DURATIONS[duration]


def act_on_case(
    moderator: User,
    case_id: int,
    *,
    action: str,
    duration: str = "",
    ground: str,
    rule_id: int | None = None,
    legal_ground: str = "",
    explanation: str,
    severity: int = 0,
) -> Statement:
    """Decide the case (see the module's docstring); the decision's statement."""
    cases._check(moderator)
    span = _check_inputs(action, duration, severity)
    why = clean_ground(ground, rule_id, legal_ground, explanation)
    with transaction.atomic():
        made = _decide(
            moderator,
            cases._locked(case_id),
            action=action,
            duration=span,
            ground=why,
            severity=severity,
        )
    for statement in made:
        email_statement(statement)
    return made[0]


def bulk_act(
    moderator: User,
    case_ids: Sequence[int],
    *,
    action: str,
    duration: str = "",
    ground: str,
    rule_id: int | None = None,
    legal_ground: str = "",
    explanation: str,
    severity: int = 0,
) -> int:
    """The same decision on many open cases, all or none (one refused: nothing is done);
    how many were decided."""
    cases._check(moderator)
    ids = cases._bulk_ids(case_ids)
    span = _check_inputs(action, duration, severity)
    why = clean_ground(ground, rule_id, legal_ground, explanation)
    made: list[Statement] = []
    with transaction.atomic():
        found = Case.objects.select_for_update().filter(pk__in=ids, state=CaseState.OPEN)
        for case in found.order_by("id"):
            made += _decide(
                moderator, case, action=action, duration=span, ground=why, severity=severity
            )
    for statement in made:
        email_statement(statement)
    return len({s.case_id for s in made})


def lift(moderator: User, enforcement_id: int) -> Enforcement:
    """Undo an action (audited); its statements then say when it was lifted."""
    record = Enforcement.objects.filter(pk=enforcement_id).first()
    if record is None:
        raise ValidationError(_("That action does not exist."))
    with transaction.atomic():
        enforcement.lift(moderator, record)
        audit.record(
            moderator,
            "enforcement.lift",
            target=audit.Target("enforcement", record.pk, record.get_kind_display()),
            before={"lifted_at": None},
            after={"lifted_at": record.lifted_at},
        )
    return record


def email_statement(statement: Statement) -> None:
    """Send the affected member their statement, in their language (a decision about a group:
    each of the group's admins)."""
    if statement.group_id is not None and statement.group is not None:
        from townsquare.moderation.group_enforcement import admins

        for admin in admins(statement.group):
            _email_to(statement, admin)
        return
    if statement.account is not None:
        _email_to(statement, statement.account)


def _email_to(statement: Statement, member: User) -> None:
    if not member.email:
        return
    from townsquare.site import state

    site_name = state.site_name()
    with speaking_to(member):
        if statement.group is not None:
            subject = _("A moderation decision about your group %(group)s on %(site)s") % {
                "group": statement.group.name,
                "site": site_name,
            }
        else:
            subject = _("A moderation decision about your account on %(site)s") % {
                "site": site_name
            }
        body = render_to_string(
            "moderation/email/statement.txt",
            {
                "statement": statement,
                "member": member,
                "site_name": site_name,
                "link": f"{settings.BASE_URL}/statements/{statement.pk}",
                "appeal_until": statements.appeal_until(statement),
            },
        )
    enqueue(send_email, subject, body, member.email)


__all__ = ["StepAction", "act_on_case", "bulk_act", "email_statement", "lift"]
