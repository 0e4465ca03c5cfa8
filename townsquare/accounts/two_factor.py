"""Two-factor authentication: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, the
codes every authenticator app shows) with ten single-use recovery codes.

A member starts the setup (a new secret, shown as a QR code and as text), confirms it with
their password and a code from the app (only then is it in force, and the recovery codes are
shown, once), and may regenerate the recovery codes (with a code) or turn it off (with their
password and a code or a recovery code). A code is accepted one step either side of now (a
phone's clock drifts) and never twice: the last accepted step is kept.

Recovery codes are stored as keyed hashes (HMAC-SHA256 with the site's secret key): a copy of
the database alone does not give them away. A new secret key voids them (the member logs in
with the app and makes new ones); the TOTP secret itself is kept as it is (see
models.two_factor) so that a new key never locks anyone out."""

from __future__ import annotations

import base64
import contextlib
import hmac
import re
import secrets
import struct
import time
from urllib.parse import quote, urlencode

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import RecoveryCode, TwoFactor, User
from townsquare.core import ratelimit

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of now
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_RECOVERY_LENGTH = 10  # shown as xxxxx-xxxxx; about 49 bits each
_HASH_SALT = "townsquare.accounts.recovery-code"

# Wrong passwords and codes on the settings page (setting up, turning off, new recovery
# codes): a borrowed browser cannot guess its way to the password or the codes.
SETTINGS_FAILURES_PER_ACCOUNT = ratelimit.Limit("2fa-settings-account", 10, 15 * 60)


class CodeRefused(Exception):
    """A code (or password) was not accepted; the message says why, for the person."""


# --- TOTP ------------------------------------------------------------------------------------


def new_secret() -> str:
    """A new random secret: 160 bits, base32 without padding (as authenticator apps take it)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def current_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def totp(secret: str, step: int) -> str:
    """The code of time step `step` for `secret` (RFC 6238 with SHA-1, as RFC 4226 truncates)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), "sha1").digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def _matching_step(secret: str, code: str, after: int) -> int | None:
    """The step within the window whose code is `code`, later than `after` (never reused)."""
    now = current_step()
    for step in range(now - WINDOW, now + WINDOW + 1):
        if step > after and constant_time_compare(totp(secret, step), code):
            return step
    return None


def _clean_code(code: str) -> str:
    return re.sub(r"\s", "", code or "")


def _looks_like_totp(code: str) -> bool:
    return len(code) == DIGITS and code.isdigit()


def provisioning_uri(user: User, secret: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    issuer = issuer.replace(":", "").strip() or "Townsquare"
    label = quote(f"{issuer}:{user.username}", safe=":@")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": 30}
    )
    return f"otpauth://totp/{label}?{query}"


def qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data: URI for an <img> (drawn by segno)."""
    import segno

    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


# --- state -----------------------------------------------------------------------------------


def is_enabled(user: User) -> bool:
    return TwoFactor.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def pending_setup(user: User) -> TwoFactor | None:
    """The setup the member started and has not confirmed yet, if any."""
    return TwoFactor.objects.filter(user_id=user.pk, confirmed_at__isnull=True).first()


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


def is_staff_member(user: User) -> bool:
    """Anyone with a staff permission (admins, moderators, custom roles)."""
    return bool(user.is_authenticated and user.permissions)


def required_but_missing(user: User) -> bool:
    """The operator requires two-factor authentication of staff and `user`, staff, has none."""
    from townsquare.site import state as site_state

    if not site_state.site_settings().require_staff_2fa or not is_staff_member(user):
        return False
    return not is_enabled(user)


# --- recovery codes --------------------------------------------------------------------------


def _normalize_recovery(code: str) -> str:
    return re.sub(r"[\s-]", "", (code or "").lower())


def _recovery_hash(user_id: int, code: str) -> str:
    return salted_hmac(_HASH_SALT, f"{user_id}:{code}", algorithm="sha256").hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the member's recovery codes with ten new ones; returns them as shown."""
    raw = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user_id=user.pk, code_hash=_recovery_hash(user.pk, code)) for code in raw
    )
    return [f"{code[:5]}-{code[5:]}" for code in raw]


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one of the member's recovery codes: True once for each code, then never again."""
    cleaned = _normalize_recovery(code)
    if len(cleaned) != _RECOVERY_LENGTH:
        return False
    spent = RecoveryCode.objects.filter(
        user_id=user.pk, code_hash=_recovery_hash(user.pk, cleaned), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


# --- checking a code -------------------------------------------------------------------------


def verify_code(user: User, code: str) -> bool:
    """Whether `code` is the app's current code (one step either side), not used before.
    An accepted code is recorded, so the same code (or an earlier one) is refused after."""
    code = _clean_code(code)
    if not _looks_like_totp(code):
        return False
    row = TwoFactor.objects.filter(user_id=user.pk, confirmed_at__isnull=False).first()
    if row is None:
        return False
    step = _matching_step(row.secret, code, row.last_used_step)
    if step is None:
        return False
    # Two requests with the same code at once: only the first moves the step on.
    moved = TwoFactor.objects.filter(user_id=user.pk, last_used_step__lt=step).update(
        last_used_step=step
    )
    return moved == 1


def verify_code_or_recovery(user: User, code: str) -> bool:
    """An app code, or else one of the recovery codes (spent on success)."""
    cleaned = _clean_code(code)
    if _looks_like_totp(cleaned):
        return verify_code(user, cleaned)
    return use_recovery_code(user, cleaned)


def _login_limits(user: User, ip: str) -> tuple[tuple[ratelimit.Limit, str], ...]:
    """The failed-login counters of authenticate_member: a wrong code counts like a wrong
    password, for this account from this address, for the account, and for the address."""
    account = f"user:{user.pk}"
    return (
        (ratelimit.LOGIN_FAILURES_PER_IP, ip),
        (ratelimit.LOGIN_FAILURES_PER_ACCOUNT, f"{account}|{ip}"),
        (ratelimit.LOGIN_FAILURES_PER_ACCOUNT_ANYWHERE, account),
    )


def _too_many(exc: ratelimit.RateLimited) -> str:
    return ngettext(
        "Too many failed attempts. Try again in %(seconds)d second.",
        "Too many failed attempts. Try again in %(seconds)d seconds.",
        exc.retry_after,
    ) % {"seconds": exc.retry_after}


def check_login_code(user: User, code: str, ip: str | None) -> None:
    """The second step of logging in: an app code or a recovery code. Raises CodeRefused
    (counted as a failed login) or when the account has failed too often."""
    limits = _login_limits(user, ip or "-")
    try:
        for limit, subject in limits:
            limit.check(subject)
    except ratelimit.RateLimited as exc:
        raise CodeRefused(_too_many(exc)) from None
    if not verify_code_or_recovery(user, code):
        for limit, subject in limits:
            with contextlib.suppress(ratelimit.RateLimited):
                limit.hit(subject)
        raise CodeRefused(_("That code is not right, or it was already used. Try the next one."))
    ratelimit.LOGIN_FAILURES_PER_ACCOUNT.reset(f"user:{user.pk}|{ip or '-'}")


# --- the member's actions --------------------------------------------------------------------


def _settings_guard(user: User) -> None:
    try:
        SETTINGS_FAILURES_PER_ACCOUNT.check(str(user.pk))
    except ratelimit.RateLimited as exc:
        raise CodeRefused(_too_many(exc)) from None


def _settings_failure(user: User, message: str) -> CodeRefused:
    with contextlib.suppress(ratelimit.RateLimited):
        SETTINGS_FAILURES_PER_ACCOUNT.hit(str(user.pk))
    return CodeRefused(message)


def start_setup(user: User) -> TwoFactor:
    """Begin setting up an authenticator app: a new secret, not in force until confirmed.
    Starting again replaces an unconfirmed secret; a confirmed one must be turned off first."""
    ratelimit.WRITES_PER_ACCOUNT.hit(str(user.pk))
    with transaction.atomic():
        row = TwoFactor.objects.select_for_update().filter(user_id=user.pk).first()
        if row is not None and row.confirmed_at is not None:
            raise CodeRefused(_("Two-factor authentication is already on."))
        if row is None:
            row = TwoFactor(user_id=user.pk)
        row.secret = new_secret()
        row.created_at = timezone.now()
        row.last_used_step = 0
        row.save()
    return row


def confirm_setup(user: User, password: str, code: str) -> list[str]:
    """Turn two-factor authentication on with the member's password and a code from the app
    (which proves the app has the secret). Returns the ten recovery codes, shown once."""
    _settings_guard(user)
    if not user.check_password(password or ""):
        raise _settings_failure(user, _("That password is not right."))
    code = _clean_code(code)
    with transaction.atomic():
        row = TwoFactor.objects.select_for_update().filter(user_id=user.pk).first()
        if row is None or row.confirmed_at is not None:
            raise CodeRefused(_("Start the setup again: there is nothing to confirm."))
        step = _matching_step(row.secret, code, 0) if _looks_like_totp(code) else None
        if step is None:
            raise _settings_failure(
                user, _("That code is not right. Check the app shows this site's code.")
            )
        row.confirmed_at = timezone.now()
        row.last_used_step = step
        row.save(update_fields=["confirmed_at", "last_used_step"])
        return _new_recovery_codes(user)


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working), with a code from the app."""
    _settings_guard(user)
    if not is_enabled(user):
        raise CodeRefused(_("Two-factor authentication is off."))
    if not verify_code(user, code):
        raise _settings_failure(user, _("That code is not right, or it was already used."))
    with transaction.atomic():
        return _new_recovery_codes(user)


def disable(user: User, password: str, code: str) -> None:
    """Turn two-factor authentication off: the password and an app or recovery code."""
    _settings_guard(user)
    if not is_enabled(user):
        raise CodeRefused(_("Two-factor authentication is off."))
    if not user.check_password(password or ""):
        raise _settings_failure(user, _("That password is not right."))
    if not verify_code_or_recovery(user, code):
        raise _settings_failure(user, _("That code is not right, or it was already used."))
    with transaction.atomic():
        TwoFactor.objects.filter(user_id=user.pk).delete()
        RecoveryCode.objects.filter(user_id=user.pk).delete()


def cancel_setup(user: User) -> None:
    """Drop a setup that was started and not confirmed."""
    TwoFactor.objects.filter(user_id=user.pk, confirmed_at__isnull=True).delete()


def remove(user: User) -> bool:
    """Turn a member's two-factor authentication off without their codes: for the operator
    (`townsquare user disable-2fa`) when a member lost both the phone and the recovery codes.
    True when it was on (or being set up)."""
    with transaction.atomic():
        RecoveryCode.objects.filter(user_id=user.pk).delete()
        removed, _kinds = TwoFactor.objects.filter(user_id=user.pk).delete()
    return removed > 0
