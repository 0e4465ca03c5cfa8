"""The write layer for pages: an organization, brand or public figure's account, run by a
team of members (admins and editors) who post as it. A page is an account (`User.is_page`)
nobody logs in to: members follow it like anyone else (in friends mode too: a page is
followed, never befriended), and its profile, posts and followers are an account's."""

from __future__ import annotations

from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.communities import queries
from townsquare.communities.models import PageRole, PageRoleKind
from townsquare.core import ratelimit
from townsquare.graph.queries import is_blocked_between

CATEGORY_MAX = 60
# Pages have no mailbox: a reserved domain that can receive no mail (RFC 2606), so nobody can
# take one over through a password reset.
PAGE_EMAIL_DOMAIN = "pages.invalid"


def _category(category: str) -> str:
    category = " ".join((category or "").split())
    if not category:
        raise ValidationError({"category": _("Choose a category, such as Club or Local business.")})
    if len(category) > CATEGORY_MAX:
        raise ValidationError(
            {"category": _("At most %(count)s characters.") % {"count": CATEGORY_MAX}}
        )
    return category


def create_page(
    creator: User, *, name: str, handle: str, category: str, description: str = ""
) -> User:
    """A new page with its creator as its first admin. The handle shares the members'
    namespace (the page lives at /@handle)."""
    if not creator.is_active or creator.is_page:
        raise PermissionDenied(_("This account cannot create pages."))
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the page a name.")})
    category = _category(category)
    handle = (handle or "").strip().removeprefix("@")
    ratelimit.PAGES_PER_ACCOUNT.hit(str(creator.pk))
    with transaction.atomic():
        try:
            page = account_actions.create_user(
                handle, f"{handle.lower()}@{PAGE_EMAIL_DOMAIN}", None
            )
        except ValidationError as exc:
            errors = exc.message_dict
            raise ValidationError(
                {"handle": errors.get("username") or errors.get("email") or exc.messages}
            ) from None
        page.is_page = True
        page.page_category = category
        page.save(update_fields=["is_page", "page_category"])
        _update_profile(page, display_name=name, bio=description)
        PageRole.objects.create(
            page=page, member=creator, role=PageRoleKind.ADMIN, added_by=creator
        )
    return page


_FORM_FIELDS = {"display_name": "name", "bio": "description", "header": "header"}


def _update_profile(page: User, **changes: Any) -> None:
    """The account's profile, with errors named as the page's forms name their fields."""
    try:
        account_actions.update_profile(page, **changes)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {_FORM_FIELDS.get(field, field): errors for field, errors in exc.message_dict.items()}
        ) from None


def _require_admin(admin: User, page: User) -> None:
    if queries.page_role(admin, page) != PageRoleKind.ADMIN:
        raise PermissionDenied(_("Only the page's admins can do that."))


def update_page(
    admin: User,
    page: User,
    *,
    name: str,
    category: str,
    description: str,
    links: list[dict[str, str]] | None = None,
    avatar: IO[bytes] | None = None,
    header: IO[bytes] | None = None,
    remove_avatar: bool = False,
    remove_header: bool = False,
) -> User:
    """An admin edits the page: name, category, description, contact links (up to four
    label and address pairs, shown as the profile's fields), avatar and cover."""
    _require_admin(admin, page)
    category = _category(category)
    if not " ".join((name or "").split()):
        raise ValidationError({"display_name": _("Give the page a name.")})
    changes: dict[str, Any] = {
        "display_name": name,
        "bio": description,
        "avatar": avatar,
        "header": header,
        "remove_avatar": remove_avatar,
        "remove_header": remove_header,
    }
    if links is not None:
        changes["fields"] = links
    with transaction.atomic():
        _update_profile(page, **changes)
        if page.page_category != category:
            page.page_category = category
            page.save(update_fields=["page_category"])
    return page


def add_to_team(admin: User, page: User, member: User, role: int) -> None:
    """An admin adds a member to the team, or changes their role. The last admin cannot be
    made an editor."""
    if role not in PageRoleKind.values:
        raise ValidationError({"role": _("Choose admin or editor.")})
    if not member.is_active or member.is_page or member.pk == page.pk:
        raise ValidationError({"username": _("Choose a member.")})
    if is_blocked_between(admin.pk, member.pk):
        raise ValidationError(
            {"username": _("You can't add %(name)s.") % {"name": member.username}}
        )
    ratelimit.WRITES_PER_ACCOUNT.hit(str(admin.pk))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=page.pk).exists()  # the team's lock
        _require_admin(admin, page)
        current = PageRole.objects.filter(page=page, member=member).first()
        if current is None:
            PageRole.objects.create(page=page, member=member, role=role, added_by=admin)
            return
        if current.role == PageRoleKind.ADMIN and role != PageRoleKind.ADMIN:
            _keep_an_admin(page, leaving=member.pk)
        PageRole.objects.filter(pk=current.pk).update(role=role)


def remove_from_team(actor: User, page: User, member_id: int) -> None:
    """An admin removes someone from the team, or a member leaves it; a page always keeps at
    least one admin."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(actor.pk))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=page.pk).exists()
        if actor.pk != member_id:
            _require_admin(actor, page)
        current = PageRole.objects.filter(page=page, member_id=member_id).first()
        if current is None:
            return
        if current.role == PageRoleKind.ADMIN:
            _keep_an_admin(page, leaving=member_id)
        current.delete()


def _keep_an_admin(page: User, *, leaving: int) -> None:
    others = PageRole.objects.filter(page=page, role=PageRoleKind.ADMIN, member__is_active=True)
    if not others.exclude(member_id=leaving).exists():
        raise ValidationError(_("A page needs an admin: make someone else admin first."))
