"""Email addresses: the confirmation link sent at sign-up, and moving to a new address."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from townsquare.accounts.actions.identity import check_new_identity, normalize_email
from townsquare.accounts.languages import speaking_to
from townsquare.accounts.models import User
from townsquare.accounts.tasks import send_email
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.site import state as site_state

CONFIRM_SALT = "townsquare.confirm-email"

CONFIRM_MAX_AGE = 3 * 24 * 60 * 60


def send_confirmation(user: User, email: str | None = None) -> None:
    """Email a confirmation link for `email` (the current address unless a new one is given)."""
    ratelimit.EMAILS_PER_ACCOUNT.hit(str(user.pk))
    address = email or user.email
    # "o" pins the address the account had when the link was made: once it changes, older
    # links (say, to a mistyped address) stop working.
    # "p" ties the link to the password: a password change or reset (which is what an owner
    # does on noticing someone else in their account) voids every pending link.
    token = signing.dumps(
        {"u": user.pk, "e": address, "o": user.email, "p": _password_tag(user)},
        salt=CONFIRM_SALT,
        compress=True,
    )
    with speaking_to(user):
        body = render_to_string(
            "accounts/email/confirm.txt",
            {
                "user": user,
                "site_name": site_state.site_name(),
                "link": settings.BASE_URL + reverse("confirm_email", args=[token]),
            },
        )
        subject = _("Confirm your email for %(site)s") % {"site": site_state.site_name()}
    enqueue(send_email, subject, body, address)


def _password_tag(user: User) -> str:
    return salted_hmac(CONFIRM_SALT, user.password, algorithm="sha256").hexdigest()[:16]


def resend_confirmation(email: str) -> None:
    """Send the link again to an unconfirmed account; silent either way (no account probing)."""
    user = (
        User.objects.filter(email__iexact=(email or "").strip(), email_confirmed=False)
        .filter(Q(is_active=True) | Q(application__state="pending"))
        .first()
    )
    if user is not None:
        with contextlib.suppress(ratelimit.RateLimited):
            send_confirmation(user)


def confirm_email(token: str) -> User:
    """Confirm the address named in a link; for an email change, the new address takes over."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        user_id, email, old_email = int(data["u"]), str(data["e"]), str(data["o"])
        password_tag = str(data["p"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(_("This confirmation link is invalid or has expired.")) from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if (
            user is None
            or user.email.lower() != old_email.lower()
            or not constant_time_compare(password_tag, _password_tag(user))
        ):
            raise ValidationError(_("This confirmation link is invalid or has expired."))
        if email.lower() != user.email.lower():
            check_new_identity(None, email, exclude=user.pk)
            user.email = email
        user.email_confirmed = True
        user.save(update_fields=["email", "email_confirmed"])
    return user


def change_email(user: User, password: str, new_email: str) -> None:
    """Ask to move to a new address: it takes effect when the link sent there is opened."""
    if not user.check_password(password):
        raise ValidationError({"password": _("Your current password is not right.")})
    email = normalize_email(new_email)
    if email.lower() == user.email.lower():
        raise ValidationError({"email": _("That is already your email address.")})
    check_new_identity(None, email, exclude=user.pk)
    try:
        send_confirmation(user, email)
    except ratelimit.RateLimited as exc:
        raise ValidationError({"email": str(exc)}) from None
    with speaking_to(user):
        body = render_to_string(
            "accounts/email/email_change_requested.txt",
            {"user": user, "site_name": site_state.site_name(), "new_email": email},
        )
        subject = _("Your %(site)s email address") % {"site": site_state.site_name()}
    enqueue(send_email, subject, body, user.email)
