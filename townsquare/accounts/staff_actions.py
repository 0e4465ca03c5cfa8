"""What staff do to members, roles and the site's settings from the dashboard (the write layer
of /admin/members, /admin/roles and /admin/settings).

Who may act on whom:
- Every action needs its named permission (accounts.permissions): `manage_users` to change
  roles, send password resets, require a new email confirmation, disable logins and delete;
  `manage_roles` for custom roles and the verified badge; `manage_settings` for the settings.
- Admins act on anyone. Anyone else acts only on members of a lower rank (moderator, then a
  member holding a custom role, then a plain member) who have no permission the actor lacks:
  a moderator cannot disable an admin, nor another moderator.
- Nobody grants a permission they do not have (by giving a role or by building one), and only
  an admin makes an admin, changes an admin's role or builds a role that manages roles.
- Nobody changes their own role, disables or deletes themselves here (their settings do that).
- The site always keeps an admin who can log in: the last one cannot be demoted, disabled,
  sent back to confirm their email or deleted.

Disabling a login (`login_disabled_at`) is not deactivation (`is_active`, which hides the
member and their posts, as for applicants and accounts being deleted): the member's posts and
profile stay up, they cannot log in (the auth backend refuses them, the login page says why),
and their browser sessions and apps are signed out.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import Role, StaffRole, User, UserSession
from townsquare.accounts.permissions import MODERATOR_PERMISSIONS, PERMISSIONS
from townsquare.core import ratelimit, words
from townsquare.core.jobs import enqueue
from townsquare.moderation import audit

MAX_ROLE_NAME = 40
_RANKS: dict[str, int] = {Role.ADMIN.value: 3, Role.MODERATOR.value: 2}


def login_disabled_message() -> str:
    from townsquare.site import state

    contact = state.contact_email()
    if contact:
        return _(
            "Logging in to this account has been disabled by the site's staff. "
            "Write to %(email)s if you think this is a mistake."
        ) % {"email": contact}
    return _("Logging in to this account has been disabled by the site's staff.")


def refuse_disabled_login(user_id: int, password: str) -> None:
    """After a failed login: when the account's login was disabled by staff and `password` is
    its own, say so (LoginRefused) rather than "do not match"."""
    user = User.objects.filter(pk=user_id, login_disabled_at__isnull=False).first()
    if user is not None and user.check_password(password):
        raise account_actions.LoginRefused(login_disabled_message())


# --- who may act on whom ---------------------------------------------------------------------


def rank(user: User) -> int:
    """Admin 3, moderator 2, a member with a custom role 1, a member 0."""
    return _RANKS.get(user.role, 1 if user.staff_role_id is not None else 0)


def may_act_on(actor: User, member: User) -> bool:
    """Whether `actor` outranks `member` (admins act on anyone, admins included)."""
    if actor.is_admin:
        return True
    if member.is_admin:
        return False
    return rank(actor) > rank(member) and member.permissions <= actor.permissions


def _begin(
    actor: User, permission: str, member: User | None = None, *, on_self: bool = False
) -> None:
    if not actor.can(permission):
        raise PermissionDenied(_("You do not have the permission to do that."))
    if member is not None:
        if member.pk == actor.pk and not on_self:
            raise PermissionDenied(_("You cannot do that to your own account."))
        if member.pk != actor.pk and not may_act_on(actor, member):
            raise PermissionDenied(
                _("@%(name)s has a role at or above yours: ask an admin.")
                % {"name": member.username}
            )
    ratelimit.STAFF_ACTIONS_PER_ACCOUNT.hit(str(actor.pk))


def _has_login(user: User) -> bool:
    return (
        user.role == Role.ADMIN
        and user.is_active
        and user.email_confirmed
        and user.login_disabled_at is None
    )


def _locked(member: User) -> User:
    """The member's row, locked for this transaction. The admins are locked first (in id
    order, so two staff changing two admins at once cannot deadlock): the last-admin rule
    reads them."""
    list(User.objects.select_for_update().filter(role=Role.ADMIN).order_by("pk").values("pk"))
    found = User.objects.select_for_update().filter(pk=member.pk).first()
    if found is None:
        raise ValidationError(_("That account no longer exists."))
    return found


def _keep_an_admin(member: User) -> None:
    """Refuse a change that would leave the site without an admin who can log in."""
    if not _has_login(member):
        return
    others = User.objects.filter(
        role=Role.ADMIN, is_active=True, email_confirmed=True, login_disabled_at__isnull=True
    ).exclude(pk=member.pk)
    if not others.exists():
        raise ValidationError(
            _("@%(name)s is the site's last admin: make someone else an admin first.")
            % {"name": member.username}
        )


def _forget_permissions(user: User) -> None:
    user.__dict__.pop("permissions", None)


def _sign_out_everywhere(member: User) -> None:
    """End every browser session and app token of the member (without their own limits: a
    member who used up their hourly writes is still signed out)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = UserSession.objects.filter(user_id=member.pk)
    for key in sessions.values_list("session_key", flat=True):
        store(session_key=key).delete()
    sessions.delete()
    from oauth2_provider.models import (
        get_access_token_model,
        get_grant_model,
        get_refresh_token_model,
    )

    for model in (get_refresh_token_model(), get_access_token_model(), get_grant_model()):
        model.objects.filter(user_id=member.pk).delete()


def _no_page(member: User) -> None:
    if member.is_page:
        raise ValidationError(
            _("A page has no login of its own: its team logs in with their own accounts.")
        )


def _email_limit(member: User, exc: ratelimit.RateLimited) -> ValidationError:
    return ValidationError(
        ngettext(
            "@%(name)s was sent several emails lately; try again in %(seconds)d second.",
            "@%(name)s was sent several emails lately; try again in %(seconds)d seconds.",
            exc.retry_after,
        )
        % {"name": member.username, "seconds": exc.retry_after}
    )


# --- roles of members ------------------------------------------------------------------------


def permissions_of(role: str, staff_role: StaffRole | None) -> frozenset[str]:
    """What a member with `role` and the custom role `staff_role` may do."""
    if role == Role.ADMIN:
        return frozenset(PERMISSIONS)
    granted = set(MODERATOR_PERMISSIONS) if role == Role.MODERATOR else set()
    if staff_role is not None:
        granted.update(name for name in staff_role.permissions if name in PERMISSIONS)
    return frozenset(granted)


def _beyond(actor: User, granted: Iterable[str]) -> list[str]:
    """The permissions among `granted` that `actor` does not have (in the usual order)."""
    if actor.is_admin:
        return []
    return [name for name in PERMISSIONS if name in set(granted) - actor.permissions]


def set_member_role(actor: User, member: User, role: str, staff_role_id: int | None = None) -> User:
    """Give `member` a built-in role (member, moderator, admin) and optionally a custom role
    beside it. Admins only make admins or change an admin; nobody gives powers they lack."""
    if member.pk == actor.pk and actor.can("manage_users"):
        raise PermissionDenied(_("You cannot change your own role."))
    _begin(actor, "manage_users", member)
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose one of the roles.")]})
    staff_role = None
    if staff_role_id is not None:
        staff_role = StaffRole.objects.filter(pk=staff_role_id).first()
        if staff_role is None:
            raise ValidationError({"staff_role": [_("That role no longer exists.")]})
    if role == Role.ADMIN:
        staff_role = None  # an admin may do everything already
    if (role == Role.ADMIN or member.role == Role.ADMIN) and not actor.is_admin:
        raise PermissionDenied(_("Only an admin can make an admin or change an admin's role."))
    if member.is_page and (role != Role.MEMBER or staff_role is not None):
        raise ValidationError({"role": [_("A page cannot be staff: nobody logs in to it.")]})
    lacking = _beyond(actor, permissions_of(role, staff_role))
    if lacking:
        raise PermissionDenied(
            _("You cannot give permissions you do not have yourself: %(names)s.")
            % {"names": words.listing(lacking)}
        )
    with transaction.atomic():
        fresh = _locked(member)
        if fresh.role == Role.ADMIN and not actor.is_admin:  # made an admin meanwhile
            raise PermissionDenied(_("Only an admin can change an admin's role."))
        if fresh.role == Role.ADMIN and role != Role.ADMIN:
            _keep_an_admin(fresh)
        before = {"role": fresh.role, "staff_role": _role_name(fresh.staff_role_id)}
        fresh.role = role
        fresh.staff_role = staff_role
        fresh.save(update_fields=["role", "staff_role"])
        after = {"role": role, "staff_role": staff_role.name if staff_role else None}
        audit.record(actor, "member.role", target=fresh, before=before, after=after)
    member.role, member.staff_role = fresh.role, fresh.staff_role
    _forget_permissions(member)
    return fresh


def set_verified(actor: User, member: User, on: bool) -> User:
    """Grant (or take back) the verified badge shown beside the member's name."""
    _begin(actor, "manage_roles", member, on_self=True)
    value = timezone.now() if on else None
    with transaction.atomic():
        fresh = _locked(member)
        if (fresh.verified_at is not None) != on:
            fresh.verified_at = value
            fresh.save(update_fields=["verified_at"])
            audit.record(
                actor,
                "member.verify",
                target=fresh,
                before={"verified": not on},
                after={"verified": on},
            )
    member.verified_at = fresh.verified_at
    return fresh


# --- logins ----------------------------------------------------------------------------------


def send_password_reset(actor: User, member: User) -> None:
    """Email the member a link to choose a new password (the link of "forgot my password")."""
    _begin(actor, "manage_users", member, on_self=True)
    _no_page(member)
    if not member.is_active:
        raise ValidationError(_("This account is not active: it cannot reset its password."))
    try:
        with transaction.atomic():
            account_actions.send_password_reset_link(member)
            audit.record(actor, "member.password_reset", target=member)
    except ratelimit.RateLimited as exc:
        raise _email_limit(member, exc) from None


def require_email_confirmation(actor: User, member: User) -> User:
    """Ask the member to confirm their address again: they are signed out everywhere, and
    cannot log in until they open the link just emailed to them."""
    _begin(actor, "manage_users", member)
    _no_page(member)
    with transaction.atomic():
        fresh = _locked(member)
        _keep_an_admin(fresh)
        if fresh.email_confirmed:
            audit.record(
                actor,
                "member.require_confirmation",
                target=fresh,
                before={"email_confirmed": True},
                after={"email_confirmed": False},
            )
        else:  # a new link, and signed out again
            audit.record(actor, "member.require_confirmation", target=fresh)
        fresh.email_confirmed = False
        fresh.save(update_fields=["email_confirmed"])
        try:
            account_actions.send_confirmation(fresh)
        except ratelimit.RateLimited as exc:
            raise _email_limit(fresh, exc) from None
        _sign_out_everywhere(fresh)
    member.email_confirmed = False
    return fresh


def disable_login(actor: User, member: User) -> User:
    """Stop the member logging in (their posts stay up): signed out everywhere, refused at
    the login page and by apps until staff enable it again."""
    _begin(actor, "manage_users", member)
    _no_page(member)
    with transaction.atomic():
        fresh = _locked(member)
        if fresh.login_disabled_at is None:
            _keep_an_admin(fresh)
            fresh.login_disabled_at = timezone.now()
            fresh.save(update_fields=["login_disabled_at"])
            audit.record(
                actor,
                "member.disable",
                target=fresh,
                before={"login_disabled": False},
                after={"login_disabled": True},
            )
        _sign_out_everywhere(fresh)
    member.login_disabled_at = fresh.login_disabled_at
    return fresh


def enable_login(actor: User, member: User) -> User:
    _begin(actor, "manage_users", member)
    with transaction.atomic():
        fresh = _locked(member)
        if fresh.login_disabled_at is not None:
            fresh.login_disabled_at = None
            fresh.save(update_fields=["login_disabled_at"])
            audit.record(
                actor,
                "member.enable",
                target=fresh,
                before={"login_disabled": True},
                after={"login_disabled": False},
            )
    member.login_disabled_at = None
    return fresh


def delete_member(actor: User, member: User) -> None:
    """Delete the account now, without the grace period a member gets when they ask
    themselves: it is deactivated at once (hidden, signed out everywhere) and the deletion
    job of accounts.deletion removes what it had here."""
    _begin(actor, "manage_users", member)
    from townsquare.accounts import tasks
    from townsquare.accounts.models import AccountDeletion

    now = timezone.now()
    with transaction.atomic():
        fresh = _locked(member)
        done = AccountDeletion.objects.filter(member_id=fresh.pk, deleted_at__isnull=False)
        if done.exists():
            raise ValidationError(_("This account was already deleted."))
        _keep_an_admin(fresh)
        AccountDeletion.objects.update_or_create(
            member_id=fresh.pk, defaults={"requested_at": now, "due_at": now, "deleted_at": None}
        )
        User.objects.filter(pk=fresh.pk).update(is_active=False)
        audit.record(
            actor,
            "member.delete",
            target=fresh,
            before={"active": fresh.is_active, "deleted": False},
            after={"active": False, "deleted": True},
        )
        _sign_out_everywhere(fresh)
        enqueue(tasks.delete_account_data, fresh.pk)
    member.is_active = False


# --- custom roles ----------------------------------------------------------------------------


def _clean_role(
    actor: User, name: str, permissions: Iterable[str], *, exclude: int | None = None
) -> tuple[str, list[str]]:
    name = " ".join((name or "").split())
    wanted = set(permissions)
    errors: dict[str, list[str]] = {}
    reserved = {value.lower() for value in Role.values} | {
        str(label).lower() for label in Role.labels
    }
    others = StaffRole.objects.exclude(pk=exclude) if exclude is not None else StaffRole.objects
    if not name:
        errors["name"] = [_("Give the role a name.")]
    elif len(name) > MAX_ROLE_NAME:
        errors["name"] = [
            ngettext("At most %(count)d character.", "At most %(count)d characters.", MAX_ROLE_NAME)
            % {"count": MAX_ROLE_NAME}
        ]
    elif name.lower() in reserved:
        errors["name"] = [_("That is the name of a built-in role.")]
    elif others.filter(name__iexact=name).exists():
        errors["name"] = [_("There is already a role with that name.")]
    unknown = sorted(wanted - set(PERMISSIONS))
    if unknown:
        errors["permissions"] = [
            _("Not a permission: %(names)s.") % {"names": words.listing(unknown)}
        ]
    if errors:
        raise ValidationError(errors)
    if "manage_roles" in wanted and not actor.is_admin:
        raise PermissionDenied(_("Only an admin can make a role that manages roles."))
    lacking = _beyond(actor, wanted)
    if lacking:
        raise PermissionDenied(
            _("You cannot grant permissions you do not have yourself: %(names)s.")
            % {"names": words.listing(lacking)}
        )
    return name, [permission for permission in PERMISSIONS if permission in wanted]


def _role_name(role_id: int | None) -> str | None:
    if role_id is None:
        return None
    return StaffRole.objects.filter(pk=role_id).values_list("name", flat=True).first()


def _save_role(
    actor: User,
    role: StaffRole,
    fields: list[str] | None = None,
    before: dict[str, Any] | None = None,
) -> StaffRole:
    try:
        with transaction.atomic():
            if fields is None:
                role.save(force_insert=True)
            else:
                role.save(update_fields=fields)
            audit.record(
                actor,
                "role.create" if fields is None else "role.update",
                target=role,
                before=before or {},
                after={"name": role.name, "permissions": role.permissions},
            )
    except IntegrityError:  # the same name, saved by someone else in the meantime
        raise ValidationError({"name": [_("There is already a role with that name.")]}) from None
    return role


def create_role(actor: User, name: str, permissions: Iterable[str]) -> StaffRole:
    """A custom role built from named permissions (accounts.permissions.PERMISSIONS)."""
    _begin(actor, "manage_roles")
    name, granted = _clean_role(actor, name, permissions)
    return _save_role(actor, StaffRole(name=name, permissions=granted))


def _role_in_reach(actor: User, role_id: int) -> StaffRole:
    role = StaffRole.objects.filter(pk=role_id).first()
    if role is None:
        raise ValidationError(_("That role no longer exists."))
    lacking = _beyond(actor, role.permissions)
    if lacking:
        raise PermissionDenied(
            _("This role has permissions you do not have (%(names)s): ask an admin.")
            % {"names": words.listing(lacking)}
        )
    return role


def update_role(actor: User, role_id: int, name: str, permissions: Iterable[str]) -> StaffRole:
    """Rename a custom role or change its permissions (its members have the new ones at once)."""
    _begin(actor, "manage_roles")
    role = _role_in_reach(actor, role_id)
    before = {"name": role.name, "permissions": list(role.permissions)}
    role.name, role.permissions = _clean_role(actor, name, permissions, exclude=role.pk)
    return _save_role(actor, role, ["name", "permissions"], before)


def delete_role(actor: User, role_id: int) -> None:
    """Delete a custom role: its members keep their built-in role only."""
    _begin(actor, "manage_roles")
    role = _role_in_reach(actor, role_id)
    with transaction.atomic():
        holders = User.objects.filter(staff_role_id=role.pk).count()
        audit.record(
            actor,
            "role.delete",
            target=role,
            before={"name": role.name, "permissions": role.permissions, "members": holders},
            after={},
        )
        role.delete()


# --- the site's settings page ----------------------------------------------------------------


def save_site_settings(
    actor: User,
    *,
    fields: dict[str, Any],
    rules: list[tuple[str, str]],
    switches: dict[str, bool],
) -> None:
    """The settings page's one write: settings fields (site.actions.update_settings), the
    rules and the feature switches, in one transaction. Any error (by field) changes nothing."""
    from townsquare.site import actions as site_actions
    from townsquare.site import features, state

    _begin(actor, "manage_settings")
    unknown = set(switches) - set(features.FEATURES)
    if unknown:
        raise ValueError(f"not a feature: {', '.join(sorted(unknown))}")
    before = features.switches()
    try:
        with transaction.atomic():
            errors: dict[str, list[str]] = {}
            for write in (
                lambda: site_actions.update_settings(actor, **fields),
                lambda: site_actions.set_rules(actor, rules),
            ):
                try:
                    with transaction.atomic():
                        write()
                except ValidationError as exc:
                    errors.update(exc.message_dict)
            if errors:
                raise ValidationError(errors)
            for name, on in switches.items():
                if before.get(name) != on:
                    site_actions.set_feature(name, enabled=on, actor=actor)
    finally:
        # What was read inside the transaction may have been rolled back since.
        state.forget()
