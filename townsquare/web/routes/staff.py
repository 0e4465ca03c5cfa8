"""URL patterns for the staff dashboard, under /admin (included by townsquare/urls.py)."""

from django.urls import URLPattern, path

from townsquare.web.views.staff import (
    account_decisions,
    announcements,
    appeals,
    appearance,
    applications,
    audit,
    dashboard,
    decisions,
    ip_blocks,
    members,
    moderation,
    roles,
    site_settings,
    transparency,
)
from townsquare.web.views.staff import content_rules as staff_content_rules
from townsquare.web.views.staff import email as staff_email
from townsquare.web.views.staff import emoji as staff_emoji
from townsquare.web.views.staff import hash_banks as staff_hash_banks

urlpatterns: list[URLPattern] = [
    path("admin", dashboard.dashboard, name="staff_dashboard"),
    path("admin/jobs/<uuid:job_id>/again", dashboard.run_job_again, name="staff_run_job_again"),
    path("admin/applications", applications.queue, name="staff_applications"),
    path(
        "admin/applications/<id:application_id>/accept",
        applications.accept,
        name="staff_accept_application",
    ),
    path(
        "admin/applications/<id:application_id>/decline",
        applications.decline,
        name="staff_decline_application",
    ),
    path("admin/appearance", appearance.appearance_page, name="staff_appearance"),
    path("admin/appearance/look", appearance.save_look, name="staff_appearance_look"),
    path("admin/appearance/pages", appearance.save_pages, name="staff_appearance_pages"),
    path("admin/appearance/rules", appearance.save_rules, name="staff_appearance_rules"),
    path("admin/members", members.members, name="staff_members"),
    path("admin/members-act", account_decisions.act, name="staff_members_act"),
    path("admin/members-lift", account_decisions.lift, name="staff_members_lift"),
    path("admin/members/<username:username>", members.member, name="staff_member"),
    path(
        "admin/members/<username:username>/<slug:action>",
        members.member_action,
        name="staff_member_action",
    ),
    path("admin/moderation", moderation.queue, name="staff_moderation"),
    path("admin/moderation/bulk", moderation.bulk, name="staff_moderation_bulk"),
    path("admin/moderation/act", decisions.bulk_act, name="staff_moderation_bulk_act"),
    path("admin/moderation/ladder", decisions.ladder, name="staff_ladder"),
    path("admin/moderation/statements.json", decisions.export, name="staff_statements_json"),
    path("admin/moderation/appeals", appeals.appeal_list, name="staff_appeals"),
    path("admin/moderation/appeals/<id:appeal_id>", appeals.decide, name="staff_appeal_decide"),
    path("admin/moderation/<id:case_id>", moderation.case_page, name="staff_case"),
    path("admin/moderation/<id:case_id>/act", decisions.act, name="staff_case_act"),
    path("admin/moderation/<id:case_id>/lift", decisions.lift, name="staff_case_lift"),
    path(
        "admin/moderation/<id:case_id>/<slug:action>",
        moderation.case_action,
        name="staff_case_action",
    ),
    path("admin/roles", roles.roles, name="staff_roles"),
    path("admin/roles/<id:role_id>", roles.edit_role, name="staff_role"),
    path("admin/roles/<id:role_id>/delete", roles.delete_role, name="staff_delete_role"),
    path("admin/settings", site_settings.site_settings, name="staff_settings"),
    path("admin/rules", staff_content_rules.index, name="staff_rules"),
    path("admin/rules/<id:rule_id>", staff_content_rules.detail, name="staff_rule"),
    path("admin/ip-blocks", ip_blocks.index, name="staff_ip_blocks"),
    path("admin/ip-blocks/<id:block_id>/remove", ip_blocks.remove, name="staff_remove_ip_block"),
    path("admin/announcements", announcements.index, name="staff_announcements"),
    path(
        "admin/announcements/<id:announcement_id>",
        announcements.edit,
        name="staff_announcement",
    ),
    path(
        "admin/announcements/<id:announcement_id>/publish",
        announcements.publish,
        name="staff_publish_announcement",
    ),
    path(
        "admin/announcements/<id:announcement_id>/delete",
        announcements.delete,
        name="staff_delete_announcement",
    ),
    path("admin/emoji", staff_emoji.index, name="staff_emoji"),
    path("admin/emoji/<id:emoji_id>", staff_emoji.change, name="staff_change_emoji"),
    path("admin/emoji/<id:emoji_id>/delete", staff_emoji.delete, name="staff_delete_emoji"),
    path("admin/hash-banks", staff_hash_banks.index, name="staff_hash_banks"),
    path(
        "admin/hash-banks/<id:bank_id>/import",
        staff_hash_banks.import_list,
        name="staff_hash_bank_import",
    ),
    path(
        "admin/hash-banks/<id:bank_id>/switch",
        staff_hash_banks.switch,
        name="staff_hash_bank_switch",
    ),
    path(
        "admin/hash-banks/<id:bank_id>/delete",
        staff_hash_banks.delete,
        name="staff_hash_bank_delete",
    ),
    path(
        "admin/hash-matches/<id:match_id>/review",
        staff_hash_banks.review,
        name="staff_hash_match_review",
    ),
    path("admin/email", staff_email.settings_page, name="staff_email"),
    path("admin/email/test", staff_email.send_test, name="staff_test_email"),
    path("admin/audit", audit.log, name="staff_audit"),
    path("admin/transparency", transparency.report, name="staff_transparency"),
    path("admin/transparency.csv", transparency.report_csv, name="staff_transparency_csv"),
    path("admin/audit/export.csv", audit.export_csv, name="staff_audit_csv"),
    path("admin/audit/export.json", audit.export_json, name="staff_audit_json"),
]
