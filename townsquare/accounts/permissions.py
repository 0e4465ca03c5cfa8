"""What staff may do, by name. Admins may do everything; moderators have a fixed set; an admin
builds custom roles (`StaffRole`) from these names and gives them to members. Every staff
page and action asks `User.can(name)`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PERMISSIONS = {
    "view_dashboard": _("See the dashboard: figures, charts and the site's health"),
    "manage_users": _("Manage members: change roles, disable logins, reset passwords, delete"),
    "approve_signups": _("Accept or decline people who apply to join"),
    "invite_members": _("Create invite links (when only staff may invite)"),
    "moderate_content": _("Moderate: remove posts and act on reports"),
    "manage_settings": _("Change the site's settings, registration and features"),
    "manage_appearance": _("Change the site's look: logo, colours, theme and pages"),
    "manage_roles": _("Create roles and grant the verified badge"),
    "manage_announcements": _("Publish announcements and custom emoji"),
    "view_audit_log": _("Read the log of what staff did"),
}

MODERATOR_PERMISSIONS = frozenset(
    {"view_dashboard", "approve_signups", "invite_members", "moderate_content", "view_audit_log"}
)
