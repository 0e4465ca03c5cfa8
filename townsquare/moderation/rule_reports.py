"""Automated reports: a content rule tells the moderators about a post, a message or an
account (profile, sign-up), with no reporter and `source` "automated". They join the target's
open case like members' reports (`moderation.actions`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.moderation.actions import MAX_COMMENT_LENGTH, Target, _file
from townsquare.moderation.models import Case, Report, ReportCategory, RuleSubject, TargetKind
from townsquare.posts.models import Post

_KINDS = {
    RuleSubject.POSTS: TargetKind.POST,
    RuleSubject.MESSAGES: TargetKind.MESSAGE,
    RuleSubject.PROFILES: TargetKind.ACCOUNT,
    RuleSubject.SIGNUPS: TargetKind.ACCOUNT,
}


def file_automated(subject: str, subject_id: int | None, account: User, reason: str) -> Report:
    """File (in the caller's transaction) an automated report about what `account` wrote."""
    kind = _KINDS.get(RuleSubject(subject), TargetKind.ACCOUNT)
    object_id = account.pk if kind == TargetKind.ACCOUNT or subject_id is None else subject_id
    if object_id == account.pk:
        kind = TargetKind.ACCOUNT
    comment = (reason or _("Caught by a content rule."))[:MAX_COMMENT_LENGTH]
    filed = _file(
        None,
        Target(kind=kind, object_id=object_id, account=account),
        [subject_id] if kind == TargetKind.POST and subject_id else [],
        comment,
        ReportCategory.VIOLATION,
        [],
        source="automated",
    )
    # A case this report opened was opened by automated detection.
    Case.objects.filter(pk=filed.case_id or 0, report_count=1).update(source="automated")
    return filed


def release_post(actor: User, post: Post) -> Post | None:
    """A moderator releases a post a content rule held: it is published now (a new id, as a
    group's approved post is: `posts.actions.held`). None when it is not held any more."""
    if not actor.can("moderate_content"):
        raise PermissionDenied(_("You do not have the permission to do that."))
    from townsquare.posts.actions.held import release_held

    return release_held(post)
