"""Logging in and out: checking a member's password (with failed-login throttling), the
browser sessions that follow, and ending them.

Blocked networks (townsquare.site.ip_blocks, managed at /admin/ip-blocks) stop logins as well
as sign-ups: `refuse_blocked_network` is the one check, made by `authenticate_member` (the web
login form, which the OAuth consent page sends people through), by the OAuth token endpoint
for the password grant, and by the consent page before it gives an app a token.

Decision on staff: there is no exemption, not even for admins, so that a block cannot be
walked around with a stolen staff password. Staff cannot lock themselves out by accident: the
/admin/ip-blocks page refuses a block that covers the address the staff member is using, and
an operator with shell access can always list and remove blocks with
`townsquare ip-block list` and `townsquare ip-block remove NETWORK`. A block refuses new logins
only; browser sessions and app tokens that already exist keep working (staff end them by
disabling the member's login).
"""

from __future__ import annotations

import contextlib
from importlib import import_module

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import User, UserSession
from townsquare.core import ratelimit
from townsquare.site import ip_blocks


class LoginRefused(Exception):
    """Why a login attempt did not sign anyone in (shown to the person as it is);
    `unconfirmed` when it is an email address still waiting for its confirmation."""

    def __init__(self, message: str, *, unconfirmed: bool = False) -> None:
        super().__init__(message)
        self.unconfirmed = unconfirmed


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "-"


def blocked_network_message() -> str:
    return _(
        "Logging in from your network is blocked on this site. If you think this is a "
        "mistake, please contact the site's staff from another network."
    )


def refuse_blocked_network(ip: str | None) -> None:
    """Raise LoginRefused when `ip` is inside an unexpired blocked network: no login (web,
    OAuth consent or password grant) from there, whoever it is for (see the module's
    docstring for why staff are not exempt)."""
    if ip_blocks.is_blocked(ip):
        raise LoginRefused(blocked_network_message())


def authenticate_member(request: HttpRequest, login_name: str, password: str) -> User:
    """Check a username-or-email and password, with failed-login throttling per account and IP."""
    ip = _client_ip(request)
    refuse_blocked_network(ip)  # before any password check: no oracle from a blocked network
    typed = (login_name or "").strip().lower().removeprefix("@")
    # Count failures against the account itself, whichever of its names was typed.
    known = (
        User.objects.filter(Q(username__iexact=typed) | Q(email__iexact=typed))
        .values_list("pk", flat=True)
        .first()
    )
    account = f"user:{known}" if known is not None else f"name:{typed}"
    limits = (
        (ratelimit.LOGIN_FAILURES_PER_IP, ip),
        (ratelimit.LOGIN_FAILURES_PER_ACCOUNT, f"{account}|{ip}"),
        (ratelimit.LOGIN_FAILURES_PER_ACCOUNT_ANYWHERE, account),
    )
    try:
        for limit, subject in limits:
            limit.check(subject)
    except ratelimit.RateLimited as exc:
        raise LoginRefused(
            ngettext(
                "Too many failed attempts. Try again in %(seconds)d second.",
                "Too many failed attempts. Try again in %(seconds)d seconds.",
                exc.retry_after,
            )
            % {"seconds": exc.retry_after}
        ) from None
    user = authenticate(request, username=login_name, password=password)
    if user is None and known is not None and _applicant_with_password(known, password):
        raise LoginRefused(_("Your application to join is waiting for a moderator's decision."))
    if user is None and known is not None:
        _offer_to_cancel_deletion(known, password)
        from townsquare.accounts.staff_actions import refuse_disabled_login

        refuse_disabled_login(known, password)
    if user is None:
        for limit, subject in limits:
            # Counted; once over the limit the next attempt is refused before any check.
            with contextlib.suppress(ratelimit.RateLimited):
                limit.hit(subject)
        raise LoginRefused(_("That username or email and password do not match."))
    assert isinstance(user, User)
    if not user.email_confirmed:
        raise LoginRefused(
            _("Please confirm your email address first: we sent you a link."), unconfirmed=True
        )
    from townsquare.accounts import two_factor

    # With two-factor authentication the failures are forgiven only after the code, or the
    # password would buy ten more guesses of the code each time.
    if not two_factor.is_enabled(user):
        ratelimit.LOGIN_FAILURES_PER_ACCOUNT.reset(f"{account}|{ip}")
    return user


def _applicant_with_password(user_id: int, password: str) -> bool:
    """Whether `user_id` is waiting for its application to be decided and `password` is its
    own (only then is the person told why they cannot log in yet)."""
    from townsquare.accounts.registration import pending_application

    if pending_application(user_id) is None:
        return False
    user = User.objects.filter(pk=user_id).first()
    return user is not None and user.check_password(password)


def _offer_to_cancel_deletion(user_id: int, password: str) -> None:
    """An account waiting to be deleted, with its own password: the login page offers to
    cancel the deletion (DeletionPending) instead of refusing."""
    from townsquare.accounts import deletion

    member = deletion.pending_for_login(user_id, password)
    if member is not None:
        raise deletion.DeletionPending(member)


def log_in(request: HttpRequest, user: User) -> None:
    """Sign `user` in on this browser and record the session for the sessions list."""
    login(request, user, backend="townsquare.accounts.backends.UsernameOrEmailBackend")
    key = request.session.session_key
    if key is None:
        request.session.save()
        key = request.session.session_key
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip": request.META.get("REMOTE_ADDR") or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "last_seen_at": timezone.now(),
        },
    )


def log_out(request: HttpRequest) -> None:
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key).delete()
    logout(request)


def _session_store() -> type[SessionBase]:
    store: type[SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
    return store


def end_sessions(
    user: User, *, session_ids: list[int] | None = None, keep: str | None = None
) -> int:
    """End some (or all) of a member's browser sessions, except the one keyed `keep`."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(user.pk))
    sessions = UserSession.objects.filter(user=user)
    if session_ids is not None:
        sessions = sessions.filter(pk__in=session_ids)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    store = _session_store()
    keys = list(sessions.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    sessions.delete()
    return len(keys)
