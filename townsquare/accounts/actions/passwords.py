"""Passwords: the reset link by email, and setting or changing a password."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from townsquare.accounts.actions.login import end_sessions
from townsquare.accounts.languages import speaking_to
from townsquare.accounts.models import User, UserSession
from townsquare.accounts.tasks import send_email
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.site import state as site_state


def request_password_reset(email: str, *, ip: str | None) -> None:
    """Email a reset link if a member has this address; say nothing either way (no account probing)."""
    ratelimit.PASSWORD_RESETS_PER_IP.hit(ip or "-")
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None:
        return
    with contextlib.suppress(ratelimit.RateLimited):
        send_password_reset_link(user)


def send_password_reset_link(user: User) -> None:
    """Email `user` a link to choose a new password (RateLimited past their email limit)."""
    ratelimit.EMAILS_PER_ACCOUNT.hit(str(user.pk))
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    with speaking_to(user):
        body = render_to_string(
            "accounts/email/reset.txt",
            {
                "user": user,
                "site_name": site_state.site_name(),
                "link": settings.BASE_URL + reverse("password_reset_confirm", args=[uid, token]),
            },
        )
        subject = _("Reset your %(site)s password") % {"site": site_state.site_name()}
    enqueue(send_email, subject, body, user.email)


def user_for_reset_link(uidb64: str, token: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def reset_password(uidb64: str, token: str, new_password: str) -> User:
    user = user_for_reset_link(uidb64, token)
    if user is None:
        raise ValidationError(_("This reset link is invalid or has been used."))
    with transaction.atomic():
        set_password(user, new_password)
        # Whoever could read the inbox owns the account: end every session, confirm the email.
        if not user.email_confirmed:
            user.email_confirmed = True
            user.save(update_fields=["email_confirmed"])
        end_sessions(user)
    return user


def set_password(user: User, new_password: str) -> None:
    """Set a new password (validated) and store its argon2 hash."""
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])


def change_password(request: HttpRequest, user: User, old_password: str, new_password: str) -> None:
    """Change the password after checking the old one; other browsers are signed out."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(user.pk))
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("Your current password is not right.")})
    keep = request.session.session_key
    with transaction.atomic():
        set_password(user, new_password)
        end_sessions(user, keep=keep)
        update_session_auth_hash(request, user)  # this browser stays signed in, with a new key
        if keep and request.session.session_key != keep:
            UserSession.objects.filter(session_key=keep).update(
                session_key=request.session.session_key
            )
