"""The audit log: every staff action leaves one entry (who, what, to what, before and after),
secrets never reach it, it cannot be changed or deleted, a change that rolls back leaves no
entry, and /admin/audit shows, searches and exports it for staff with `view_audit_log`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.conftest import client_of, text_of
from tests.factories import make_user
from townsquare.accounts import registration, staff_actions
from townsquare.accounts.models import Application, Invite, StaffRole, User
from townsquare.core import ratelimit
from townsquare.core.ids import id_for_time
from townsquare.moderation import audit, audit_queries
from townsquare.moderation.models import AppendOnly, AuditEntry
from townsquare.site import actions as site_actions
from townsquare.site import announcements, emoji, state
from townsquare.site import email as site_email
from townsquare.site.models import SiteSettings

pytestmark = pytest.mark.django_db

SMTP_PASSWORD = "rhubarb-and-custard-7"


@pytest.fixture
def admin() -> User:
    return make_user("hazel", role="admin")


def only_entry(**filters: Any) -> AuditEntry:
    [entry] = AuditEntry.objects.filter(**filters)
    return entry


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (64, 64), (60, 140, 60, 255)).save(out, "PNG")
    return out.getvalue()


def with_role(name: str, permissions: list[str]) -> User:
    user = make_user(name)
    user.staff_role = StaffRole.objects.create(name=f"{name} helpers", permissions=permissions)
    user.save(update_fields=["staff_role"])
    return User.objects.get(pk=user.pk)


def streamed(response: Any) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


# --- members -----------------------------------------------------------------------------------


def test_member_actions_from_the_page_each_leave_one_entry(admin: User) -> None:
    fern = make_user("fern")
    web = client_of(admin)

    def act(action: str, **data: str) -> None:
        response = web.post(f"/admin/members/fern/{action}", data)
        assert response.status_code == 302, text_of(response)[:500]

    act("role", role="moderator", staff_role="")
    entry = only_entry(action="member.role")
    assert (entry.actor_id, entry.actor_name) == (admin.pk, "hazel")
    assert (entry.target_kind, entry.target_id, entry.target_label) == (
        "member",
        str(fern.pk),
        "@fern",
    )
    assert entry.before == {"role": "member"} and entry.after == {"role": "moderator"}
    assert entry.ip == "127.0.0.1"

    act("verify")
    assert only_entry(action="member.verify").after == {"verified": True}
    act("disable")
    disabled = only_entry(action="member.disable")
    assert (disabled.before, disabled.after) == (
        {"login_disabled": False},
        {"login_disabled": True},
    )
    act("enable")
    assert only_entry(action="member.enable").after == {"login_disabled": False}
    act("reset-password")
    reset = only_entry(action="member.password_reset")
    assert reset.target_label == "@fern" and reset.before == {} and reset.after == {}
    act("require-confirmation")
    assert only_entry(action="member.require_confirmation").after == {"email_confirmed": False}
    act("delete", confirm="fern")
    deleted = only_entry(action="member.delete")
    assert deleted.before == {"active": True, "deleted": False}
    assert deleted.after == {"active": False, "deleted": True}
    assert AuditEntry.objects.count() == 7


def test_nothing_changed_nothing_logged(admin: User) -> None:
    fern = make_user("fern")
    staff_actions.enable_login(admin, fern)  # was never disabled
    staff_actions.set_verified(admin, fern, False)  # had no badge
    assert not AuditEntry.objects.exists()


def test_custom_roles_created_changed_and_deleted(admin: User) -> None:
    role = staff_actions.create_role(admin, "Garden wardens", ["moderate_content"])
    created = only_entry(action="role.create")
    assert created.target_kind == "role" and created.target_label == "Garden wardens"
    assert created.before == {}
    assert created.after == {"name": "Garden wardens", "permissions": ["moderate_content"]}

    staff_actions.update_role(
        admin, role.pk, "Garden wardens", ["moderate_content", "view_dashboard"]
    )
    changed = only_entry(action="role.update")
    assert changed.before == {"permissions": ["moderate_content"]}
    assert changed.after == {"permissions": ["view_dashboard", "moderate_content"]}

    staff_actions.delete_role(admin, role.pk)
    gone = only_entry(action="role.delete")
    assert gone.target_id == str(role.pk) and gone.after == {}
    assert gone.before["name"] == "Garden wardens"


def test_the_row_outlives_its_actor(admin: User) -> None:
    keeper = make_user("kit", role="admin")
    staff_actions.set_verified(keeper, make_user("fern"), True)
    User.objects.filter(pk=keeper.pk).delete()
    entry = only_entry(action="member.verify")
    assert entry.actor_id is None and entry.actor_name == "kit"


# --- sign-ups ----------------------------------------------------------------------------------


def _applicant(name: str) -> Application:
    user = make_user(name)
    User.objects.filter(pk=user.pk).update(is_active=False)
    return Application.objects.create(user=user, username=name, email=f"{name}@example.org")


def test_applications_accepted_and_declined() -> None:
    mia = make_user("mia", role="moderator")
    first, second = _applicant("basil"), _applicant("sage")
    registration.accept_application(mia, first.pk)
    registration.decline_application(mia, second.pk, "We are a chess society only.")
    accepted = only_entry(action="application.accept")
    assert accepted.actor_name == "mia" and accepted.target_kind == "application"
    assert accepted.before == {"state": "pending"} and accepted.after == {"state": "accepted"}
    declined = only_entry(action="application.decline")
    assert declined.target_label.startswith("@sage")
    assert declined.after == {"state": "declined", "reason": "We are a chess society only."}


def test_staff_revoking_an_invite_is_logged_its_creator_is_not(admin: User) -> None:
    fern = make_user("fern")
    mine = Invite.objects.create(code="own-invite", creator=fern)
    theirs = Invite.objects.create(code="staff-revokes", creator=fern)
    registration.revoke_invite(fern, mine.pk)
    assert not AuditEntry.objects.exists()
    registration.revoke_invite(admin, theirs.pk)
    registration.revoke_invite(admin, theirs.pk)  # already withdrawn: nothing more
    entry = only_entry(action="invite.revoke")
    assert entry.target_kind == "invite" and entry.target_label == "@fern"
    assert (entry.before["revoked"], entry.after["revoked"]) == (False, True)
    assert "staff-revokes" not in json.dumps([entry.before, entry.after, entry.target_label])


# --- the site ------------------------------------------------------------------------------------


def test_settings_log_only_the_changed_fields(admin: User) -> None:
    site_actions.update_settings(admin, name="Chess Society", description="")
    site_actions.update_settings(admin, name="Chess Society", description="We meet on Fridays.")
    first, second = AuditEntry.objects.filter(action="site.settings").order_by("id")
    assert first.before == {"name": ""} and first.after == {"name": "Chess Society"}
    assert second.before == {"description": ""}
    assert second.after == {"description": "We meet on Fridays."}
    site_actions.update_settings(admin, name="Chess Society")  # no change
    assert AuditEntry.objects.count() == 2


def test_a_change_deep_in_a_long_text_is_logged_and_kept_short(admin: User) -> None:
    css = "/* garden */\n" + ".plot { color: green; }\n" * 200
    site_actions.update_settings(admin, custom_css=css)
    site_actions.update_settings(admin, custom_css=css + ".shed { color: brown; }")
    first, second = AuditEntry.objects.filter(action="appearance.update").order_by("id")
    assert len(second.after["custom_css"]) <= audit.MAX_VALUE
    assert second.after["custom_css"].endswith("…")


def test_appearance_rules_and_images(admin: User) -> None:
    site_actions.update_settings(admin, theme="harbour")
    assert only_entry(action="appearance.update").after == {"theme": "harbour"}
    site_actions.set_rules(admin, [("Be kind to fellow gardeners", "")])
    rules = only_entry(action="rules.update")
    assert rules.before == {"rules": []}
    assert rules.after == {"rules": [{"text": "Be kind to fellow gardeners", "hint": ""}]}
    site_actions.set_image(admin, "logo", SimpleUploadedFile("logo.png", png()))
    logo = AuditEntry.objects.filter(action="appearance.update").order_by("-id").first()
    assert logo is not None and logo.before == {"logo": ""} and logo.after["logo"]


def test_the_settings_page_logs_features_and_settings(admin: User) -> None:
    staff_actions.save_site_settings(
        admin, fields={"name": "Garden Club"}, rules=[], switches={"polls": False}
    )
    feature = only_entry(action="feature.switch")
    assert (feature.target_kind, feature.target_id) == ("feature", "polls")
    assert (feature.before, feature.after) == ({"enabled": True}, {"enabled": False})
    assert only_entry(action="site.settings").after == {"name": "Garden Club"}
    assert not AuditEntry.objects.filter(action="rules.update").exists()  # none before or after


def test_the_command_line_is_an_actor_without_a_name() -> None:
    site_actions.set_feature("polls", enabled=False)
    entry = only_entry(action="feature.switch")
    assert entry.actor_id is None and entry.actor_name == ""


def test_announcements_and_emoji(admin: User) -> None:
    notice = announcements.create_announcement(admin, text="Seed swap on Saturday")
    announcements.update_announcement(
        admin, notice.pk, text="Seed swap on Sunday", starts_at=None, ends_at=None, all_day=False
    )
    announcements.set_published(admin, notice.pk, published=True)
    announcements.delete_announcement(admin, notice.pk)
    assert only_entry(action="announcement.create").after["text"] == "Seed swap on Saturday"
    updated = only_entry(action="announcement.update")
    assert updated.before == {"text": "Seed swap on Saturday"}
    assert updated.after == {"text": "Seed swap on Sunday"}
    assert only_entry(action="announcement.publish").after == {"published": True}
    assert only_entry(action="announcement.delete").before["text"] == "Seed swap on Sunday"

    made = emoji.create_emoji(admin, shortcode="tomato", upload=SimpleUploadedFile("t.png", png()))
    emoji.update_emoji(admin, made.pk, category="Garden", visible_in_picker=True, disabled=False)
    emoji.delete_emoji(admin, made.pk)
    assert only_entry(action="emoji.create").target_label == ":tomato:"
    assert only_entry(action="emoji.update").after == {"category": "Garden"}
    assert only_entry(action="emoji.delete").target_id == str(made.pk)


def test_secrets_never_reach_the_log(admin: User, settings: Any) -> None:
    site_email.update_mail_settings(
        admin,
        host="smtp.example.org",
        port=587,
        username="club",
        security="starttls",
        email_from="",
        password=SMTP_PASSWORD,
    )
    entry = only_entry(action="email.settings")
    assert entry.after["smtp_password"] == audit.CHANGED
    assert entry.before["smtp_password"] == audit.CHANGED
    assert entry.after["smtp_host"] == "smtp.example.org"

    token = site_actions.start_setup()
    setup = only_entry(action="setup.start")
    assert setup.after == {"setup_token": audit.CHANGED}
    site_actions.finish_setup(admin)
    finished = only_entry(action="setup.finish")
    assert finished.after["setup_done"] is True

    settings.EMAIL_BACKEND = "townsquare.site.email.SiteEmailBackend"
    settings.FALLBACK_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SiteSettings.objects.filter(pk=1).update(smtp_host="")
    site_email.send_test_email(admin)
    sent = only_entry(action="email.test")
    assert sent.after["sent"] is True and sent.after["to"] == admin.email

    hashed = SiteSettings.objects.get(pk=1)
    everything = json.dumps(list(AuditEntry.objects.values()), default=str)
    everything += streamed(client_of(admin).get("/admin/audit/export.json"))
    everything += streamed(client_of(admin).get("/admin/audit/export.csv"))
    everything += text_of(client_of(admin).get("/admin/audit"))
    assert SMTP_PASSWORD not in everything and token not in everything
    assert site_actions._hash(token) not in everything
    assert hashed.smtp_password == SMTP_PASSWORD  # the setting itself was saved


def test_record_masks_secret_keys_anywhere() -> None:
    entry = audit.record(
        None,
        "site.settings",
        target=audit.Target("site", "", "settings"),
        before={"api_token": "old", "nested": {"password": "a"}},
        after={"api_token": "new", "nested": {"password": "b"}},
    )
    assert entry is not None
    assert entry.before == {"api_token": audit.CHANGED, "nested": {"password": audit.CHANGED}}


# --- append-only, and rolled back --------------------------------------------------------------


def test_entries_cannot_be_changed_or_deleted(admin: User) -> None:
    staff_actions.create_role(admin, "Chess coaches", [])
    entry = only_entry(action="role.create")
    entry.action = "role.delete"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action="role.delete")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.bulk_update([entry], ["action"])
    assert only_entry(pk=entry.pk).action == "role.create"


def test_a_rolled_back_staff_action_leaves_no_entry(admin: User) -> None:
    # The settings are saved (and logged) first; the rules then fail: neither stays.
    with pytest.raises(ValidationError):
        staff_actions.save_site_settings(
            admin, fields={"name": "Garden Club"}, rules=[("x" * 400, "")], switches={}
        )
    assert state.site_settings().name != "Garden Club"
    assert not AuditEntry.objects.exists()

    # Logged, then the confirmation email is over its limit: the whole action rolls back.
    fern = make_user("fern")
    for _ in range(ratelimit.EMAILS_PER_ACCOUNT.count):
        ratelimit.EMAILS_PER_ACCOUNT.hit(str(fern.pk))
    with pytest.raises(ValidationError):
        staff_actions.require_email_confirmation(admin, fern)
    assert User.objects.get(pk=fern.pk).email_confirmed
    assert not AuditEntry.objects.exists()


# --- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("member", False), ("moderator", True), ("helper", False), ("reader", True), ("admin", True)],
)
def test_who_may_read_the_log(who: str, allowed: bool) -> None:
    actor = {
        "member": lambda: make_user("sam"),
        "moderator": lambda: make_user("mia", role="moderator"),
        "helper": lambda: with_role("hana", ["manage_users", "manage_settings"]),
        "reader": lambda: with_role("rue", ["view_audit_log"]),
        "admin": lambda: make_user("olga", role="admin"),
    }[who]()
    web = client_of(actor)
    for url in ("/admin/audit", "/admin/audit/export.csv", "/admin/audit/export.json"):
        assert web.get(url).status_code == (200 if allowed else 403), url
    if allowed:  # the staff navigation leads there
        assert 'href="/admin/audit"' in text_of(web.get("/admin/audit"))


def test_visitors_are_sent_to_log_in() -> None:
    response = Client().get("/admin/audit")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_the_page_shows_before_and_after_newest_first(admin: User) -> None:
    site_actions.update_settings(admin, name="Chess Society")
    staff_actions.set_verified(admin, make_user("fern"), True)
    page = text_of(client_of(admin).get("/admin/audit"))
    assert page.index("member.verify") < page.index("site.settings")
    assert "Chess Society" in page and "→" in page and "@hazel" in page


def test_the_page_is_paged_by_id(admin: User) -> None:
    for number in range(5):
        site_actions.update_settings(admin, name=f"Chess Society {number}")
    web = client_of(admin)
    first = web.get("/admin/audit", {"limit": 3})
    cursor = first.context["next_page"]
    assert cursor and "max_id=" in cursor
    shown = [row["entry"].pk for row in first.context["rows"]]
    rest = [row["entry"].pk for row in web.get("/admin/audit" + cursor).context["rows"]]
    everything = list(AuditEntry.objects.order_by("-id").values_list("pk", flat=True))
    assert shown + rest == everything


def test_search_by_actor_action_target_and_dates(admin: User) -> None:
    mia = make_user("mia", role="moderator")
    fern, basil = make_user("fern"), make_user("basil")
    staff_actions.set_verified(admin, fern, True)
    staff_actions.disable_login(admin, basil)
    registration.accept_application(mia, _applicant("sage").pk)
    site_actions.update_settings(admin, name="Garden Club")
    web = client_of(admin)

    def found(**query: str) -> list[str]:
        response = web.get("/admin/audit", query)
        assert response.status_code == 200
        return sorted(row["entry"].action for row in response.context["rows"])

    assert found(actor="@mia") == ["application.accept"]
    assert found(action="member") == ["member.disable", "member.verify"]
    assert found(action="member.verify") == ["member.verify"]
    assert found(target="basil") == ["member.disable"]
    assert found(target=str(fern.pk)) == ["member.verify"]
    today = timezone.localdate()
    assert len(found(since=str(today), until=str(today))) == 4
    assert found(until=str(today - dt.timedelta(days=1))) == []
    assert found(since=str(today + dt.timedelta(days=1))) == []
    bad = web.get("/admin/audit", {"since": str(today), "until": str(today - dt.timedelta(days=2))})
    assert bad.status_code == 400 and "must not come before" in text_of(bad)
    assert web.get("/admin/audit", {"since": "someday"}).status_code == 400


def test_exports_hold_the_filtered_entries(admin: User) -> None:
    fern = make_user("fern")
    staff_actions.set_verified(admin, fern, True)
    staff_actions.disable_login(admin, fern)
    site_actions.update_settings(admin, name="=Garden Club")
    web = client_of(admin)

    response = web.get("/admin/audit/export.json", {"action": "member"})
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    rows = json.loads(streamed(response))
    assert [row["action"] for row in rows] == ["member.disable", "member.verify"]
    assert rows[0]["actor"] == "hazel" and rows[0]["target_id"] == str(fern.pk)
    assert rows[0]["before"] == {"login_disabled": False}

    response = web.get("/admin/audit/export.csv", {"action": "site"})
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(streamed(response))))
    assert [row["action"] for row in table] == ["site.settings"]
    assert json.loads(table[0]["after"]) == {"name": "=Garden Club"}
    everything = list(csv.DictReader(io.StringIO(streamed(web.get("/admin/audit/export.csv")))))
    assert len(everything) == 3

    bad = web.get("/admin/audit/export.json", {"since": "someday"})
    assert bad.status_code == 400 and "error" in bad.json()


def test_exports_read_a_long_log_in_batches() -> None:
    for number in range(7):
        audit.record(None, "feature.switch", target=audit.Target("feature", "polls", f"n{number}"))
    entries = list(audit_queries.every(audit_queries.AuditFilters(), batch=3))
    assert [entry.target_label for entry in entries] == [f"n{n}" for n in range(6, -1, -1)]


def test_a_spreadsheet_formula_in_a_label_is_quoted_in_the_csv() -> None:
    assert audit_queries.csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert audit_queries.csv_cell("Garden wardens") == "Garden wardens"


def test_date_bounds_are_id_bounds() -> None:
    entry = audit.record(None, "feature.switch", target=audit.Target("feature", "polls", "x"))
    assert entry is not None
    assert id_for_time(entry.created_at.timestamp() - 1) < entry.pk
    assert audit_queries.last_staff_action_at() is None
    mia = make_user("mia", role="moderator")
    logged = audit.record(mia, "member.verify", target=make_user("fern"))
    assert logged is not None and audit_queries.last_staff_action_at() == logged.created_at
