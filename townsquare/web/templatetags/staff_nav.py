"""The staff pages a member may open: for the staff sub-navigation (web/staff/_nav.html) and
the "Admin" entry of the main menu. Only staff ever reach these tags (the menu asks
`user.permissions` first), so ordinary members' pages pay nothing for them.

A page is listed by its URL *name*: a page whose route does not exist (yet) is left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()

# (URL name, the permission it needs, its label), in the order of the navigation.
STAFF_PAGES = (
    ("staff_dashboard", "view_dashboard", _("Dashboard")),
    ("staff_members", "manage_users", _("Members")),
    ("staff_members", "manage_roles", _("Members")),
    ("staff_members", "moderate_content", _("Members")),
    ("staff_applications", "approve_signups", _("Applications")),
    ("staff_moderation", "moderate_content", _("Moderation")),
    ("staff_appeals", "moderate_content", _("Appeals")),
    ("staff_hash_banks", "moderate_content", _("Hash banks")),
    ("staff_ladder", "manage_settings", _("Strike ladder")),
    ("staff_settings", "manage_settings", _("Settings")),
    ("staff_email", "manage_settings", _("Email")),
    ("staff_ip_blocks", "manage_settings", _("Blocked networks")),
    ("staff_rules", "manage_settings", _("Content rules")),
    ("staff_roles", "manage_roles", _("Roles")),
    ("staff_appearance", "manage_appearance", _("Appearance")),
    ("staff_announcements", "manage_announcements", _("Announcements")),
    ("staff_emoji", "manage_announcements", _("Custom emoji")),
    ("staff_audit", "view_audit_log", _("Audit log")),
    ("staff_transparency", "view_audit_log", _("Transparency report")),
)


@dataclass(frozen=True)
class StaffPage:
    name: str
    label: str
    url: str


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def staff_pages_for(user: Any) -> list[StaffPage]:
    """The staff pages `user` may open and that exist, in navigation order."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    pages: dict[str, StaffPage] = {}
    for name, permission, label in STAFF_PAGES:
        if name not in pages and user.can(permission) and (url := _url(name)) is not None:
            pages[name] = StaffPage(name=name, label=str(label), url=url)
    return list(pages.values())


@register.simple_tag(takes_context=True)
def staff_pages(context: template.Context) -> list[StaffPage]:
    """`{% staff_pages as pages %}`: the pages the viewer may open."""
    request = context.get("request")
    return staff_pages_for(getattr(request, "user", None))


@register.simple_tag(takes_context=True)
def staff_home(context: template.Context) -> str:
    """The first staff page the viewer may open ("" when none): where "Admin" leads."""
    request = context.get("request")
    pages = staff_pages_for(getattr(request, "user", None))
    return pages[0].url if pages else ""


@register.simple_tag(takes_context=True)
def pending_applications(context: template.Context) -> int:
    """People waiting for approval, for staff who may let them in (0 for everyone else, and
    then no statement)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.can("approve_signups"):
        return 0
    from townsquare.accounts.registration import pending_count

    return pending_count()
