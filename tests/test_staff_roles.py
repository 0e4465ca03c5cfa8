"""Custom roles at /admin/roles: who may open and change them, building one from named
permissions, giving it to a member (who then has those permissions, and loses them with the
role), and the escalation rules (nobody grants what they lack; only admins make roles that
manage roles)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.conftest import client_of, text_of
from tests.factories import make_user
from townsquare.accounts import staff_actions
from townsquare.accounts.models import StaffRole, User

pytestmark = pytest.mark.django_db


def with_role(name: str, permissions: list[str], *, role: str = "member") -> User:
    staff_role = StaffRole.objects.create(name=f"{name} helpers", permissions=permissions)
    user = make_user(name, role=role)
    user.staff_role = staff_role
    user.save(update_fields=["staff_role"])
    return User.objects.get(pk=user.pk)


@pytest.fixture
def admin() -> User:
    return make_user("olga", role="admin")


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("member", False), ("moderator", False), ("helper", False), ("keeper", True), ("admin", True)],
)
def test_who_may_open_and_change_the_roles(who: str, allowed: bool) -> None:
    actor = {
        "member": lambda: make_user("sam"),
        "moderator": lambda: make_user("mia", role="moderator"),
        "helper": lambda: with_role("hana", ["manage_users"]),
        "keeper": lambda: with_role("kit", ["manage_roles", "moderate_content"]),
        "admin": lambda: make_user("olga", role="admin"),
    }[who]()
    browser = client_of(actor)
    assert browser.get("/admin/roles").status_code == (200 if allowed else 403)
    made = browser.post(
        "/admin/roles", {"name": "Garden wardens", "permissions": ["moderate_content"]}
    )
    assert made.status_code == (302 if allowed else 403)
    assert StaffRole.objects.filter(name="Garden wardens").exists() is allowed


def test_visitors_are_sent_to_log_in() -> None:
    response = Client().get("/admin/roles")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_a_role_built_given_changed_and_deleted(admin: User) -> None:
    web = client_of(admin)
    page = text_of(web.get("/admin/roles"))
    # Every permission is offered with its description.
    assert 'value="manage_users"' in page and "Manage members: change roles" in page
    made = web.post(
        "/admin/roles",
        {"name": "Membership desk", "permissions": ["manage_users", "approve_signups"]},
    )
    assert made.status_code == 302
    desk = StaffRole.objects.get(name="Membership desk")
    assert desk.permissions == ["manage_users", "approve_signups"]
    listed = text_of(web.get("/admin/roles"))
    assert "Membership desk" in listed and "Accept or decline people who apply" in listed

    fern = make_user("fern")
    assert client_of(fern).get("/admin/members").status_code == 403
    given = web.post("/admin/members/fern/role", {"role": "member", "staff_role": str(desk.pk)})
    assert given.status_code == 302
    assert client_of(fern).get("/admin/members").status_code == 200
    assert client_of(fern).get("/admin/applications").status_code == 200
    assert "1 member" in text_of(web.get("/admin/roles"))

    edited = web.post(
        f"/admin/roles/{desk.pk}", {"name": "Welcome desk", "permissions": ["approve_signups"]}
    )
    assert edited.status_code == 302
    assert client_of(fern).get("/admin/members").status_code == 403  # at once
    assert client_of(fern).get("/admin/applications").status_code == 200

    assert web.post(f"/admin/roles/{desk.pk}/delete").status_code == 302
    assert not StaffRole.objects.exists()
    fern.refresh_from_db()
    assert fern.staff_role_id is None and fern.role == "member"
    assert client_of(fern).get("/admin/applications").status_code == 403


@pytest.mark.parametrize(
    ("name", "permissions", "error"),
    [
        ("", ["manage_users"], "This field is required."),
        ("Moderator", [], "That is the name of a built-in role."),
        ("Seed swap team", ["fly_kites"], "fly_kites is not one of the available choices."),
    ],
)
def test_bad_roles_are_form_errors(
    admin: User, name: str, permissions: list[str], error: str
) -> None:
    response = client_of(admin).post("/admin/roles", {"name": name, "permissions": permissions})
    assert response.status_code == 400
    assert error in text_of(response)
    assert not StaffRole.objects.exists()


def test_role_names_are_unique_whatever_the_case(admin: User) -> None:
    staff_actions.create_role(admin, "Chess arbiters", ["moderate_content"])
    response = client_of(admin).post("/admin/roles", {"name": "chess ARBITERS"})
    assert response.status_code == 400
    assert "There is already a role with that name." in text_of(response)


def test_unknown_permission_names_are_refused_by_the_action(admin: User) -> None:
    with pytest.raises(ValidationError, match="Not a permission: fly_kites"):
        staff_actions.create_role(admin, "Kite flyers", ["fly_kites"])


def test_nobody_grants_permissions_they_lack(admin: User) -> None:
    kit = with_role("kit", ["manage_roles", "moderate_content"], role="moderator")
    web = client_of(kit)
    refused = web.post("/admin/roles", {"name": "Settings", "permissions": ["manage_settings"]})
    assert refused.status_code == 403
    assert "manage_settings" in text_of(refused)
    refused = web.post("/admin/roles", {"name": "Role makers", "permissions": ["manage_roles"]})
    assert refused.status_code == 403
    assert "Only an admin can make a role that manages roles." in text_of(refused)
    assert set(StaffRole.objects.values_list("name", flat=True)) == {"kit helpers"}
    # A role with more than kit has is out of kit's reach, to change or to delete.
    keepers = staff_actions.create_role(admin, "Keepers", ["manage_settings"])
    assert (
        web.post(f"/admin/roles/{keepers.pk}", {"name": "Keepers", "permissions": []}).status_code
        == 403
    )
    assert web.post(f"/admin/roles/{keepers.pk}/delete").status_code == 403
    keepers.refresh_from_db()
    assert keepers.permissions == ["manage_settings"]
    # Within kit's own permissions all is well.
    made = web.post("/admin/roles", {"name": "Wardens", "permissions": ["moderate_content"]})
    assert made.status_code == 302


def test_an_admin_may_make_a_role_that_manages_roles(admin: User) -> None:
    role = staff_actions.create_role(admin, "Role makers", ["manage_roles"])
    assert role.permissions == ["manage_roles"]
    kit = with_role("kit", ["manage_roles"])
    with pytest.raises(PermissionDenied):
        staff_actions.update_role(kit, role.pk, "Role makers", ["manage_roles", "manage_users"])


def test_the_command_lines_set_role_keeps_the_last_admin_too() -> None:
    """`townsquare user set-role` goes through accounts.actions.set_role: it may not leave
    the site without an admin who can log in either."""
    from townsquare.accounts.actions import set_role

    warden = make_user("warden", role="admin")
    with pytest.raises(ValidationError, match="last admin"):
        set_role(warden, "member")
    assert User.objects.get(pk=warden.pk).role == "admin"
    make_user("keeper", role="admin")
    set_role(warden, "moderator")
    assert User.objects.get(pk=warden.pk).role == "moderator"


def test_a_role_changed_from_the_command_line_is_in_the_audit_log() -> None:
    from townsquare.accounts.actions import set_role
    from townsquare.moderation.models import AuditEntry

    make_user("warden", role="admin")
    moss = make_user("moss")
    set_role(moss, "moderator")
    entry = AuditEntry.objects.get(action="member.role", target_id=str(moss.pk))
    assert entry.actor_id is None
    assert (entry.before, entry.after) == ({"role": "member"}, {"role": "moderator"})
