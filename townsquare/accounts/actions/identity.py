"""Who an account is: creating one (username, email, password) and its role on the site."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from townsquare.accounts.models import Role, User
from townsquare.accounts.usernames import validate_username


def normalize_email(email: str) -> str:
    email = (email or "").strip()
    if len(email) > 254:
        raise ValidationError({"email": _("An email address has at most 254 characters.")})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_new_identity(username: str | None, email: str | None, exclude: int | None = None) -> None:
    errors: dict[str, ValidationError] = {}
    others = User.objects.exclude(pk=exclude) if exclude else User.objects.all()
    if username is not None and others.filter(username__iexact=username).exists():
        errors["username"] = ValidationError(_("That username is taken."), code="taken")
    if email is not None and others.filter(email__iexact=email).exists():
        errors["email"] = ValidationError(_("That email address is already in use."), code="taken")
    if errors:
        raise ValidationError(errors)


def create_user(
    username: str,
    email: str,
    password: str | None = None,
    *,
    role: str = Role.MEMBER,
    email_confirmed: bool = False,
) -> User:
    """Create a member. Raises ValidationError (by field) for a bad or taken username or email.

    With `password=None` the account has no usable password (it can reset one by email).
    """
    username = (username or "").strip().removeprefix("@")
    try:
        validate_username(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    email = normalize_email(email)
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Role must be one of %(roles)s.") % {"roles": ", ".join(Role.values)}}
        )
    check_new_identity(username, email)  # before hashing: a taken name costs no argon2 run
    user = User(username=username, email=email, role=role, email_confirmed=email_confirmed)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:  # a concurrent sign-up took the name between check and insert
        raise ValidationError(
            {"username": ValidationError(_("That username is taken."), code="taken")}
        ) from None
    return user


def set_role(user: User, role: str) -> None:
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Role must be one of %(roles)s.") % {"roles": ", ".join(Role.values)}}
        )
    from townsquare.accounts.staff_actions import _keep_an_admin, _locked

    with transaction.atomic():
        current = _locked(user)
        if role != Role.ADMIN:
            _keep_an_admin(current)  # the site always keeps an admin who can log in
        User.objects.filter(pk=user.pk).update(role=role)
        from townsquare.moderation import audit

        audit.record(
            None, "member.role", target=current, before={"role": current.role}, after={"role": role}
        )
    user.role = role
    user.__dict__.pop("permissions", None)
