"""Read-side helpers for accounts.

Which accounts are shown in lists of people (`listed_people`): the one account-visibility
rule, applied by every list of accounts: followers, following and friends (web and API),
featured members, who liked a post (web and API), and people in search (web,
/api/v1/accounts/search, /api/v2/search). A suspended account (`suspended_until` in the
future) is left out of them all, except for staff who may `moderate_content` (they find
suspended accounts to review them). Posts of suspended accounts are hidden by
posts.visibility, from everyone, so lists built from posts (who shared a post, hashtag
pages, post search) leave them out for staff too; suggestions and trends leave out
suspended and limited accounts for everyone.

Mentions: a mention of a suspended account keeps its link. Post and bio HTML is rendered
once, when written (render_member_text), and the link leads to the account's profile, which
for a suspended account answers 410 with the suspension notice and nothing of the profile
(web.views.enforcement.suspended_profile); so nothing hidden is reachable through it, the
cached HTML of other members' posts does not change when a moderator acts, and the mention
is back as it was when the suspension ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core.text import RenderedText, render_text

# Staff with this permission see suspended accounts in lists (as posts.visibility.MODERATE).
MODERATE = "moderate_content"


def sees_suspended(viewer: Any) -> bool:
    """Whether `viewer` (a member, an anonymous user or None) sees suspended accounts."""
    return isinstance(viewer, User) and viewer.is_authenticated and viewer.can(MODERATE)


def not_suspended(field: str = "") -> Q:
    """Accounts (at `field`, such as "follower__") that are not suspended now."""
    return Q(**{f"{field}suspended_until__isnull": True}) | Q(
        **{f"{field}suspended_until__lte": timezone.now()}
    )


def listed_people(viewer: Any, field: str = "") -> Q:
    """The accounts (at `field`) a list of people shows `viewer` (see the module's docstring):
    no suspended account, unless the viewer is staff who moderate content."""
    return Q() if sees_suspended(viewer) else not_suspended(field)


def resolve_usernames(lowered: Iterable[str]) -> dict[str, str]:
    """Map lower-cased usernames to the canonical spelling of active members that exist."""
    names = list(lowered)
    if not names:
        return {}
    rows = (
        User.objects.annotate(lower=Lower("username"))
        .filter(lower__in=names, is_active=True)
        .values_list("lower", "username")
    )
    return dict(rows)


def render_member_text(text: str) -> RenderedText:
    """Render text a member wrote (posts, bios, profile fields) to safe HTML with links."""
    return render_text(
        text,
        resolve_mentions=resolve_usernames,
        profile_url=lambda username: reverse("profile", args=[username]),
        tag_url=lambda name: reverse("tag", args=[name]),
    )


def active_member(username: str) -> User | None:
    return User.objects.filter(username__iexact=username, is_active=True).first()


def can_act_as(member: User, account: User) -> bool:
    """Whether `member` may act as `account`: themselves, or a page on whose team they are
    (while the operator has pages switched on)."""
    if not member.is_authenticated or not account.is_active:
        return False
    if member.pk == account.pk:
        return True
    if not account.is_page:
        return False
    from townsquare.communities.models import PageRole
    from townsquare.site import features

    return (
        features.enabled("pages")
        and PageRole.objects.filter(page_id=account.pk, member_id=member.pk).exists()
    )
