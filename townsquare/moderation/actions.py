"""The write layer for moderation: members reporting a post (a comment is a reply post), an
account, a message, a group or a page to the site's moderators. Reports about the same thing
while it is undecided join one case (`moderation.cases` is the moderators' side)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core.ratelimit import Limit
from townsquare.moderation.models import (
    SEVERITY,
    Case,
    CaseState,
    Report,
    ReportCategory,
    TargetKind,
)
from townsquare.posts.queries import get_visible, posts_by_id

MAX_COMMENT_LENGTH = 1000
MAX_POSTS = 100
REPORTS_PER_ACCOUNT = Limit("report-account", 60, 60 * 60)
# Room for the number of reports under each severity level in `Case.priority`.
PRIORITY_STEP = 100_000


@dataclass(frozen=True)
class Target:
    """What a report is about, once the reporter was found allowed to report it."""

    kind: str  # a TargetKind
    object_id: int
    account: User | None  # who is responsible for it


def site_rule_ids() -> set[str]:
    """The ids of the site's rules, which reports of a rule violation name."""
    from townsquare.site.models import Rule

    return {str(pk) for pk in Rule.objects.values_list("pk", flat=True)}


def _clean(
    reporter: User,
    account: User | None,
    comment: str,
    category: str,
    rule_ids: Sequence[str],
    known_rule_ids: Collection[str],
) -> tuple[str, str, list[str]]:
    if account is not None and account.pk == reporter.pk:
        raise ValidationError(_("You cannot report yourself"))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            _("Comment is too long (at most %(count)d characters)") % {"count": MAX_COMMENT_LENGTH}
        )
    if category not in ReportCategory.values:
        raise ValidationError(_("Category is not included in the list"))
    rules = [str(r) for r in dict.fromkeys(rule_ids)]
    if rules:
        if any(r not in known_rule_ids for r in rules):
            raise ValidationError(_("Rule ids must reference the site's rules"))
        category = ReportCategory.VIOLATION
    elif category == ReportCategory.VIOLATION:
        raise ValidationError(_("Rule ids can't be blank for a rule violation"))
    return comment, category, rules


def create_report(
    reporter: User,
    target: User,
    *,
    post_ids: Sequence[int] = (),
    comment: str = "",
    category: str = ReportCategory.OTHER,
    rule_ids: Sequence[str] = (),
    known_rule_ids: Collection[str] = (),
    forward: bool = False,
) -> Report:
    """Report `target` (the Mastodon API's report). The posts named must be the target's and
    ones the reporter can see (otherwise Http404, as Mastodon answers); naming rules makes it
    a report of a rule violation, and each must be one of the site's (`known_rule_ids`).

    A report of exactly one post joins that post's case; otherwise the account's case."""
    if not target.is_active:
        raise Http404
    comment, category, rules = _clean(reporter, target, comment, category, rule_ids, known_rule_ids)
    wanted = sorted(set(post_ids))
    if len(wanted) > MAX_POSTS:
        raise ValidationError(_("Report at most %(count)d posts at a time") % {"count": MAX_POSTS})
    seen = posts_by_id(reporter, wanted) if wanted else {}
    if any(pk not in seen or seen[pk].author_id != target.pk for pk in wanted):
        raise Http404
    if len(wanted) == 1:
        about = Target(TargetKind.POST, wanted[0], target)
    else:
        kind = TargetKind.PAGE if target.is_page else TargetKind.ACCOUNT
        about = Target(kind, target.pk, target)
    REPORTS_PER_ACCOUNT.hit(str(reporter.pk))
    return _file(reporter, about, wanted, comment, category, rules, forward=bool(forward))


def find_target(reporter: User, kind: str, object_id: int) -> Target:
    """What `reporter` asks to report, as they may see it: Http404 for what does not exist or
    what they cannot see (a post hidden from them, a message of a conversation they are not
    in, a secret group they do not belong to)."""
    if kind == TargetKind.POST:
        post = get_visible(reporter, object_id)
        if post is None:
            raise Http404
        if post.reblog_of_id is not None and post.reblog_of is not None:
            post = post.reblog_of  # a share: the post shared is what is reported
        return Target(TargetKind.POST, post.pk, post.author)
    if kind in (TargetKind.ACCOUNT, TargetKind.PAGE):
        account = User.objects.filter(pk=object_id, is_active=True).first()
        if account is None or (kind == TargetKind.PAGE and not account.is_page):
            raise Http404
        return Target(
            TargetKind.PAGE if account.is_page else TargetKind.ACCOUNT, account.pk, account
        )
    if kind == TargetKind.MESSAGE:
        return _message_target(reporter, object_id)
    if kind == TargetKind.GROUP:
        from townsquare.communities import queries as group_queries
        from townsquare.communities.models import Group

        group = Group.objects.select_related("created_by").filter(pk=object_id).first()
        if group is None or not group_queries.can_know(reporter, group):
            raise Http404
        return Target(TargetKind.GROUP, group.pk, group.created_by)
    raise Http404


def _message_target(reporter: User, message_id: int) -> Target:
    """A message, reported by another participant of its conversation who sees it."""
    from townsquare.messaging import queries as message_queries
    from townsquare.messaging.models import HiddenMessage, Message, MessageKind

    message = Message.objects.select_related("sender").filter(pk=message_id).first()
    if message is None or message.kind != MessageKind.TEXT or message.unsent_at is not None:
        raise Http404
    place = message_queries.current_participant(reporter, message.conversation_id)  # or 404
    hidden = HiddenMessage.objects.filter(member=reporter, message=message).exists()
    if message.pk <= place.cleared_before_id or hidden:
        raise Http404
    return Target(TargetKind.MESSAGE, message.pk, message.sender)


def report(
    reporter: User,
    kind: str,
    object_id: int,
    *,
    category: str = ReportCategory.OTHER,
    rule_ids: Sequence[str] = (),
    comment: str = "",
) -> Report:
    """Report a post, an account, a message, a group or a page (`kind`: a TargetKind) by id.
    Http404 when the reporter cannot see it; ValidationError for bad input or reporting
    oneself; RateLimited past REPORTS_PER_ACCOUNT."""
    about = find_target(reporter, kind, object_id)
    comment, category, rules = _clean(
        reporter, about.account, comment, category, rule_ids, site_rule_ids()
    )
    REPORTS_PER_ACCOUNT.hit(str(reporter.pk))
    post_ids = [about.object_id] if about.kind == TargetKind.POST else []
    return _file(reporter, about, post_ids, comment, category, rules)


def report_post(reporter: User, post_id: int, **details: Any) -> Report:
    """Report a post (or a comment: a reply post); `details` as for `report`."""
    return report(reporter, TargetKind.POST, post_id, **details)


def report_account(reporter: User, account_id: int, **details: Any) -> Report:
    """Report an account (a page's account is reported as the page)."""
    return report(reporter, TargetKind.ACCOUNT, account_id, **details)


def report_message(reporter: User, message_id: int, **details: Any) -> Report:
    """Report a message of a conversation the reporter is in."""
    return report(reporter, TargetKind.MESSAGE, message_id, **details)


def report_group(reporter: User, group_id: int, **details: Any) -> Report:
    """Report a group the reporter may know of."""
    return report(reporter, TargetKind.GROUP, group_id, **details)


def priority_of(categories: Collection[str], count: int) -> int:
    """A case's place in the queue: its worst category's severity, then how many reports."""
    severity = max(
        (SEVERITY.get(ReportCategory(c), 1) for c in categories if c in ReportCategory.values),
        default=1,
    )
    return severity * PRIORITY_STEP + min(count, PRIORITY_STEP - 1)


def _open_case(about: Target) -> Case:
    """The target's open case, locked for this transaction, made when there is none. Two
    reports at once cannot make two: the second insert breaks the unique constraint on open
    cases, and then finds the first one's."""
    found = (
        Case.objects.select_for_update()
        .filter(kind=about.kind, target_id=about.object_id, state=CaseState.OPEN)
        .first()
    )
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Case.objects.create(
                kind=about.kind, target_id=about.object_id, account=about.account
            )
    except IntegrityError:
        return Case.objects.select_for_update().get(
            kind=about.kind, target_id=about.object_id, state=CaseState.OPEN
        )


def _file(
    reporter: User | None,
    about: Target,
    post_ids: Sequence[int],
    comment: str,
    category: str,
    rules: list[str],
    *,
    forward: bool = False,
    source: str = "member",
) -> Report:
    with transaction.atomic():
        case = _open_case(about)
        filed = Report.objects.create(
            reporter=reporter,
            target=about.account,
            kind=about.kind,
            object_id=about.object_id,
            case=case,
            post_ids=list(post_ids),
            comment=comment,
            category=category,
            rule_ids=rules,
            forward=forward,
            source=source,
        )
        categories = set(case.reports.values_list("category", flat=True))
        case.report_count = case.reports.count()
        case.priority = priority_of(categories, case.report_count)
        case.updated_at = timezone.now()
        if case.account_id is None and about.account is not None:
            case.account = about.account
        case.save(update_fields=["report_count", "priority", "updated_at", "account"])
        return filed
