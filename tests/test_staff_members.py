"""Staff managing members from /admin/members: who may open the pages and take each action,
the last-admin and no-self-escalation rules, disabling logins, asking for a new email
confirmation, password resets, search and filters, and the verified badge."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.test import Client

from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, follow, make_post, make_user, run_jobs
from townsquare.accounts import staff_actions
from townsquare.accounts.models import StaffRole, User, UserSession

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "rooks-and-bishops-77"


@pytest.fixture(autouse=True)
def _quick_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def emails_to(address: str) -> list[EmailMessage]:
    run_jobs()
    return [message for message in mail.outbox if address in message.to]


def link_in(message: EmailMessage) -> str:
    match = re.search(re.escape(settings.BASE_URL) + r"(/\S+)", str(message.body))
    assert match, f"no link in: {message.body}"
    return match.group(1)


def log_in(client: Client, login: str, password: str = PASSWORD) -> str:
    """Log in through the form; the page's text when refused, "" when signed in."""
    response = client.post("/login", {"login": login, "password": password})
    return "" if response.status_code == 302 else text_of(response)


def signed_in(client: Client) -> bool:
    return client.get("/settings/account").status_code == 200


def with_role(name: str, permissions: list[str], *, role: str = "member") -> User:
    """A member holding a custom role with `permissions` (beside the built-in `role`)."""
    staff_role = StaffRole.objects.create(name=f"{name} helpers", permissions=permissions)
    user = make_user(name, role=role)
    user.staff_role = staff_role
    user.save(update_fields=["staff_role"])
    return User.objects.get(pk=user.pk)


@pytest.fixture
def admin() -> User:
    return make_user("olga", role="admin")


def act(actor: User, member: User, action: str, **data: str) -> int:
    response = client_of(actor).post(f"/admin/members/{member.username}/{action}", data)
    return response.status_code


# --- who may open the pages and act ----------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("member", False), ("moderator", True), ("helper", True), ("badges", True), ("admin", True)],
)
def test_who_may_open_the_members_pages(who: str, allowed: bool) -> None:
    """Moderators open them to find accounts and decide about them (their own-initiative
    decisions); changing roles, logins and deletion stay with the permissions they need."""
    make_user("fern")
    actor = {
        "member": lambda: make_user("sam"),
        "moderator": lambda: make_user("mia", role="moderator"),
        "helper": lambda: with_role("hana", ["manage_users"]),
        "badges": lambda: with_role("bea", ["manage_roles"]),
        "admin": lambda: make_user("olga", role="admin"),
    }[who]()
    browser = client_of(actor)
    expected = 200 if allowed else 403
    assert browser.get("/admin/members").status_code == expected
    page = browser.get("/admin/members/fern")
    assert page.status_code == expected
    if who == "moderator":
        shown = text_of(page)
        assert "/admin/members-act" in shown and "/admin/members/fern/role" not in shown
        assert "/admin/members/fern/delete" not in shown and "fern@" not in shown
        assert act(actor, User.objects.get(username="fern"), "disable") == 403


def test_visitors_are_sent_to_log_in() -> None:
    response = Client().get("/admin/members")
    assert response.status_code == 302 and response["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("member", False), ("moderator", False), ("badges", False), ("helper", True), ("admin", True)],
)
def test_who_may_disable_a_members_login(who: str, allowed: bool) -> None:
    fern = make_user("fern")
    actor = {
        "member": lambda: make_user("sam"),
        "moderator": lambda: make_user("mia", role="moderator"),
        "helper": lambda: with_role("hana", ["manage_users"]),
        "badges": lambda: with_role("bea", ["manage_roles"]),
        "admin": lambda: make_user("olga", role="admin"),
    }[who]()
    assert act(actor, fern, "disable") == (302 if allowed else 403)
    fern.refresh_from_db()
    assert (fern.login_disabled_at is not None) is allowed


def test_staff_cannot_act_on_members_who_outrank_them(admin: User) -> None:
    mia = with_role("mia", ["manage_users"], role="moderator")
    max_ = make_user("max", role="moderator")
    hana = with_role("hana", ["manage_users"])
    fern = make_user("fern")
    assert act(mia, admin, "disable") == 403
    assert act(mia, max_, "disable") == 403  # the same rank is not below
    assert act(hana, mia, "require-confirmation") == 403
    assert act(mia, hana, "disable") == 302  # a custom role is below a moderator
    assert act(hana, fern, "disable") == 302
    for person in (admin, max_, mia):
        person.refresh_from_db()
        assert person.login_disabled_at is None and person.email_confirmed
    page = text_of(client_of(mia).get("/admin/members/olga"))
    assert "at or above yours" in page and "Disable logging in" not in page


def test_only_admins_make_admins_and_nobody_changes_their_own_role(admin: User) -> None:
    mia = with_role("mia", ["manage_users"], role="moderator")
    fern = make_user("fern")
    assert act(mia, fern, "role", role="admin") == 403
    assert act(mia, mia, "role", role="admin") == 403
    assert act(admin, admin, "role", role="member") == 403
    assert act(admin, fern, "role", role="moderator") == 302
    assert act(admin, fern, "role", role="admin") == 302
    fern.refresh_from_db()
    mia.refresh_from_db()
    admin.refresh_from_db()
    assert (fern.role, mia.role, admin.role) == ("admin", "moderator", "admin")
    # An admin changes another admin's role.
    assert act(admin, fern, "role", role="member") == 302
    fern.refresh_from_db()
    assert fern.role == "member"


def test_nobody_grants_powers_they_do_not_have(admin: User) -> None:
    hana = with_role("hana", ["manage_users"])
    fern = make_user("fern")
    settings_role = StaffRole.objects.create(
        name="Settings keepers", permissions=["manage_settings"]
    )
    # A moderator has permissions hana lacks; so does a role with manage_settings.
    assert act(hana, fern, "role", role="moderator") == 403
    refused = client_of(hana).post(
        "/admin/members/fern/role", {"role": "member", "staff_role": str(settings_role.pk)}
    )
    assert refused.status_code == 403
    assert "manage_settings" in text_of(refused)
    fern.refresh_from_db()
    assert fern.role == "member" and fern.staff_role_id is None
    # What she has herself she may give.
    helpers = hana.staff_role
    assert helpers is not None
    assert act(hana, fern, "role", role="member", staff_role=str(helpers.pk)) == 302
    fern = User.objects.get(pk=fern.pk)
    assert fern.can("manage_users") and not fern.can("manage_settings")
    # ...and fern, now her equal, is out of her reach.
    assert act(hana, fern, "disable") == 403


def test_the_last_admin_who_can_log_in_is_kept(admin: User) -> None:
    bo = make_user("bo", role="admin")
    # Two admins demoting each other at once: the second change finds no other admin.
    stale_bo = User.objects.get(pk=bo.pk)
    staff_actions.set_member_role(admin, bo, "member")
    with pytest.raises(ValidationError, match="last admin"):
        staff_actions.set_member_role(stale_bo, admin, "member")
    with pytest.raises(ValidationError, match="last admin"):
        staff_actions.disable_login(stale_bo, admin)
    with pytest.raises(ValidationError, match="last admin"):
        staff_actions.delete_member(stale_bo, admin)
    admin.refresh_from_db()
    assert admin.role == "admin" and admin.login_disabled_at is None and admin.is_active


def test_nobody_disables_or_deletes_themselves_here(admin: User) -> None:
    with pytest.raises(PermissionDenied):
        staff_actions.disable_login(admin, admin)
    with pytest.raises(PermissionDenied):
        staff_actions.delete_member(admin, admin)
    assert act(admin, admin, "require-confirmation") == 403


# --- logging in --------------------------------------------------------------------------------


def test_a_disabled_member_is_signed_out_and_cannot_log_in_until_enabled(admin: User) -> None:
    from townsquare.api.actions import issue_token

    fern = make_user("fern", password=PASSWORD)
    make_post(fern, "Sowing broad beans this weekend")
    browser = Client()
    assert log_in(browser, "fern") == ""
    token, _made = issue_token(fern, None, "read")
    app = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert app.get("/api/v1/accounts/verify_credentials").status_code == 200

    assert act(admin, fern, "disable") == 302
    assert not signed_in(browser)
    assert not UserSession.objects.filter(user=fern).exists()
    assert app.get("/api/v1/accounts/verify_credentials").status_code == 401
    refused = log_in(Client(), "fern")
    assert "disabled by the site" in refused
    assert "disabled" not in log_in(Client(), "fern", "not-her-password")  # no hint without it
    # Their posts stay up.
    assert "Sowing broad beans" in text_of(Client().get("/@fern"))
    assert "Logging in was disabled on" in text_of(client_of(admin).get("/admin/members/fern"))

    assert act(admin, fern, "enable") == 302
    assert log_in(Client(), "fern") == ""


def test_requiring_confirmation_blocks_login_until_the_new_link_is_opened(admin: User) -> None:
    fern = make_user("fern", password=PASSWORD)
    browser = Client()
    log_in(browser, "fern")
    mail.outbox.clear()
    assert act(admin, fern, "require-confirmation") == 302
    assert not signed_in(browser)
    assert "Please confirm your email address first" in log_in(Client(), "fern")
    [message] = emails_to("fern@example.org")
    opened = Client().get(link_in(message))
    assert opened.status_code == 302
    fern.refresh_from_db()
    assert fern.email_confirmed
    assert log_in(Client(), "fern") == ""


def test_a_password_reset_sent_by_staff_has_a_working_link(admin: User) -> None:
    fern = make_user("fern", password=PASSWORD)
    mail.outbox.clear()
    response = client_of(admin).post("/admin/members/fern/reset-password", follow=True)
    assert "A link to choose a new password was emailed" in text_of(response)
    [message] = emails_to("fern@example.org")
    link = link_in(message)
    assert link.startswith("/password/reset/")
    assert Client().post(link, {"new_password": NEW_PASSWORD}).status_code == 302
    assert log_in(Client(), "fern", NEW_PASSWORD) == ""
    fern.refresh_from_db()
    assert fern.check_password(NEW_PASSWORD)


def test_a_page_has_no_login_to_disable(admin: User) -> None:
    from townsquare.communities.actions.pages import create_page

    fern = make_user("fern")
    page = create_page(fern, name="Riverside Allotments", handle="riverside", category="Club")
    refused = client_of(admin).post("/admin/members/riverside/disable", follow=True)
    assert "A page has no login of its own" in text_of(refused)
    page.refresh_from_db()
    assert page.login_disabled_at is None


# --- the list: search, filters, pages ----------------------------------------------------------


def listed(actor: User, query: str = "") -> str:
    response = client_of(actor).get(f"/admin/members{query}")
    assert response.status_code == 200
    return text_of(response).split("<tbody>")[1].split("</tbody>")[0]


def test_search_finds_members_by_email_and_name_in_any_case(admin: User) -> None:
    fern = make_user("fern")
    fern.display_name = "Fern Gully"
    fern.save(update_fields=["display_name"])
    rook = make_user("rook")
    rook.email = "castle.keeper@chess.example"
    rook.save(update_fields=["email"])
    assert "@rook" in listed(admin, "?q=CASTLE.keeper") and "@fern" not in listed(
        admin, "?q=castle"
    )
    found = listed(admin, "?q=gully")
    assert "@fern" in found and "@rook" not in found
    assert "@rook" in listed(admin, "?q=ROO")
    # Staff who may only grant badges do not search (nor see) addresses.
    bea = with_role("bea", ["manage_roles"])
    assert "@rook" not in listed(bea, "?q=castle")
    assert "castle.keeper" not in listed(bea)


def test_filters_by_role_status_confirmation_kind_and_badge(admin: User) -> None:
    from townsquare.communities.actions.pages import create_page

    fern = make_user("fern")
    make_user("rook", confirmed=False)
    mia = make_user("mia", role="moderator")
    hana = with_role("hana", ["manage_users"])
    create_page(fern, name="Riverside Allotments", handle="riverside", category="Club")
    staff_actions.disable_login(admin, fern)
    staff_actions.set_verified(admin, mia, True)

    def names(query: str) -> set[str]:
        return set(re.findall(r'class="handle">@(\w+)<', listed(admin, query)))

    assert names("?role=moderator") == {"mia"}
    assert names("?role=custom") == {"hana"}
    assert names(f"?role=role:{hana.staff_role_id}") == {"hana"}
    assert names("?status=disabled") == {"fern"}
    assert "fern" not in names("?status=active") and "rook" in names("?status=active")
    assert names("?unconfirmed=on") == {"rook"}
    assert names("?kind=pages") == {"riverside"}
    assert "riverside" not in names("?kind=people")
    assert names("?verified=on") == {"mia"}
    assert names("?role=admin&q=olg") == {"olga"}


def test_the_list_is_newest_first_and_pages_by_id(admin: User) -> None:
    for name in ("ash", "birch", "cedar", "damson"):
        make_user(name)
    first = client_of(admin).get("/admin/members?q=&limit=2")
    page = text_of(first)
    assert re.findall(r'class="handle">@(\w+)<', page) == ["damson", "cedar"]
    older = re.search(r'href="(\?[^"]*max_id=\d+[^"]*)"', page)
    assert older, "no link to older members"
    second = text_of(client_of(admin).get("/admin/members" + older.group(1).replace("&amp;", "&")))
    assert re.findall(r'class="handle">@(\w+)<', second) == ["birch", "ash"]


# --- a member's page ---------------------------------------------------------------------------


def test_a_members_page_shows_their_activity(admin: User) -> None:
    fern = make_user("fern", password=PASSWORD)
    sam = make_user("sam")
    fern.invited_by = sam
    fern.save(update_fields=["invited_by"])
    follow(sam, fern)
    make_post(fern, "Our first ripe tomato")
    log_in(Client(), "fern")
    page = text_of(client_of(admin).get("/admin/members/fern"))
    assert "fern@example.org" in page
    assert "Our first ripe tomato" in page
    assert '<a href="/admin/members/sam">@sam</a>' in page
    assert "Not signed in on any browser" not in page
    followers = re.search(r"Followers</dt><dd>(\d+)<", page)
    assert followers and followers.group(1) == "1"
    own = text_of(client_of(admin).get("/admin/members/olga"))
    assert "This is your own account" in own and "Change the role" not in own
    assert "Disable logging in" not in own and "Email a password reset link" in own
    # A wrong letter case leads to the right page.
    assert client_of(admin).get("/admin/members/FERN")["Location"] == "/admin/members/fern"
    assert client_of(admin).get("/admin/members/nobody_here").status_code == 404
    assert client_of(admin).post("/admin/members/fern/fly").status_code == 404


def test_staff_delete_a_member_at_once(admin: User) -> None:
    fern = make_user("fern", password=PASSWORD)
    make_post(fern, "Compost tips for beginners")
    browser = Client()
    log_in(browser, "fern")
    typo = client_of(admin).post("/admin/members/fern/delete", {"confirm": "fen"}, follow=True)
    assert "Type the username" in text_of(typo)
    fern.refresh_from_db()
    assert fern.is_active
    done = client_of(admin).post("/admin/members/fern/delete", {"confirm": "fern"})
    assert done.status_code == 302 and done["Location"] == "/admin/members"
    assert not signed_in(browser)
    assert "Compost tips" not in text_of(Client().get("/public"))
    run_jobs()
    fern.refresh_from_db()
    assert not fern.is_active and fern.email.endswith(".invalid")
    assert "Compost tips" not in text_of(client_of(admin).get("/admin/members/fern"))


# --- the verified badge -------------------------------------------------------------------------


def test_the_verified_badge_shows_on_the_profile_and_in_the_feed(admin: User) -> None:
    fern, sam = make_user("fern"), make_user("sam")
    follow(sam, fern)
    make_post(fern, "The chess club meets on Thursdays")
    run_jobs()
    assert 'class="verified"' not in text_of(client_of(sam).get("/"))
    moderator = make_user("mia", role="moderator")
    assert act(moderator, fern, "verify") == 403
    assert act(admin, fern, "verify") == 302
    profile = text_of(Client().get("/@fern"))
    assert re.search(r"<h1>fern <span class=\"verified\"", profile)
    feed = text_of(client_of(sam).get("/"))
    assert re.search(r"<strong>fern</strong> <span class=\"verified\"[^>]*>", feed)
    assert act(admin, fern, "unverify") == 302
    assert 'class="verified"' not in text_of(client_of(sam).get("/"))
    assert 'class="verified"' not in text_of(Client().get("/@fern"))
