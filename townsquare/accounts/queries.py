"""Read-side helpers for accounts."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.functions import Lower
from django.urls import reverse

from townsquare.accounts.models import User
from townsquare.core.text import RenderedText, render_text


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
