"""The write layer for moderation. For now: members reporting an account (and its posts) to
the site's moderators."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core.ratelimit import Limit
from townsquare.moderation.models import Report, ReportCategory
from townsquare.posts.queries import posts_by_id

MAX_COMMENT_LENGTH = 1000
MAX_POSTS = 100
REPORTS_PER_ACCOUNT = Limit("report-account", 60, 60 * 60)


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
    """Report `target`. The posts named must be the target's and ones the reporter can see
    (otherwise Http404, as Mastodon answers); naming rules makes it a report of a rule
    violation, and each must be one of the site's (`known_rule_ids`)."""
    if not target.is_active:
        raise Http404
    if target.pk == reporter.pk:
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
    wanted = sorted(set(post_ids))
    if len(wanted) > MAX_POSTS:
        raise ValidationError(_("Report at most %(count)d posts at a time") % {"count": MAX_POSTS})
    seen = posts_by_id(reporter, wanted) if wanted else {}
    if any(pk not in seen or seen[pk].author_id != target.pk for pk in wanted):
        raise Http404
    REPORTS_PER_ACCOUNT.hit(str(reporter.pk))
    with transaction.atomic():
        return Report.objects.create(
            reporter=reporter,
            target=target,
            post_ids=wanted,
            comment=comment,
            category=category,
            rule_ids=rules,
            forward=bool(forward),
        )
