"""Against spam sign-ups: the sign-up form's honeypot field, its signed time stamp (a form
sent back too fast was filled in by a program) and its proof of work (ALTCHA, served by
townsquare.core.altcha); and the signals that put new sign-ups into the approval queue even
on an open site: too many sign-ups from one address, a burst of attempts site-wide, or no
staff member active for the operator's number of days."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.core import altcha, ratelimit
from townsquare.site import state

HONEYPOT_FIELD = "website"  # a field people never see; programs fill it in
STAMP_FIELD = "form_stamp"
PROOF_FIELD = "altcha"
MIN_FILL_SECONDS = 3
STAMP_MAX_AGE = 24 * 60 * 60
_STAMP_SALT = "townsquare.signup.stamp"

# From one address in an hour: the first sign-ups are let in as the mode says; the next ones
# wait for approval (ratelimit.SIGNUPS_PER_IP refuses any beyond its count).
QUEUE_AFTER_PER_IP = 3
WAVE_HOURS = 6  # how long sign-ups wait for approval after a burst
_WAVE_KEY = "signup-wave-until"


# --- the form ----------------------------------------------------------------------------------


def form_stamp(at: float | None = None) -> str:
    """A signed record of when the form was shown (`at`: a time, for tests)."""
    return signing.dumps(int(at if at is not None else ratelimit.now()), salt=_STAMP_SALT)


def refused_message() -> str:
    """What a sign-up refused by a hidden check is told (never why)."""
    return _("We could not accept this sign-up. Please try again later.")


def check_form(data: Mapping[str, Any], *, proof_of_work: bool) -> None:
    """Raise ValidationError (a message for the whole form) when the form was filled in by a
    program: the honeypot is filled, it came back too fast or with no valid stamp, or (when
    `proof_of_work`) without a solution to a challenge of this site, or with a used one."""
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        raise ValidationError(refused_message(), code="refused")
    try:
        shown = signing.loads(
            str(data.get(STAMP_FIELD) or ""), salt=_STAMP_SALT, max_age=STAMP_MAX_AGE
        )
    except signing.BadSignature:
        raise ValidationError(
            _("This form expired. Please check your details and send it again."), code="expired"
        ) from None
    if not isinstance(shown, int) or ratelimit.now() - shown < MIN_FILL_SECONDS:
        raise ValidationError(
            _("That was very quick: please take a moment, then send the form again."),
            code="too_fast",
        )
    if proof_of_work and not altcha.verify(str(data.get(PROOF_FIELD) or "")):
        raise ValidationError(
            _(
                "The anti-spam check did not finish. It runs in your browser and needs "
                "JavaScript: wait until it says it is done, then send the form again."
            ),
            code="proof_of_work",
        )


def proof_of_work_on() -> bool:
    return bool(state.site_settings().signup_proof_of_work)


# --- counting attempts ---------------------------------------------------------------------------


def count_attempt(ip: str | None) -> None:
    """Count a sign-up attempt (made or refused): site-wide, where a burst puts sign-ups into
    the approval queue for a few hours, and for the address (RateLimited past its limit)."""
    burst = state.site_settings().signup_burst_per_hour
    if burst:
        try:
            ratelimit.Limit("signup-site", burst, 60 * 60).hit("all")
        except ratelimit.RateLimited:
            until = ratelimit.now() + WAVE_HOURS * 60 * 60
            caches["ratelimit"].set(_WAVE_KEY, until, WAVE_HOURS * 60 * 60)
    ratelimit.SIGNUPS_PER_IP.hit(ip or "-")


# --- why new sign-ups wait -------------------------------------------------------------------------


def wave_until() -> datetime | None:
    """When the approval queue that a burst of sign-ups started ends (None: no burst)."""
    until = caches["ratelimit"].get(_WAVE_KEY)
    if not until or float(until) <= ratelimit.now():
        return None
    return datetime.fromtimestamp(float(until), tz=timezone.get_current_timezone())


def last_staff_activity() -> datetime | None:
    """The latest sign that a member of staff was at work: a staff session seen or a staff
    log-in, a decision on an application, an entry of the audit log; or the end of the
    setup wizard. None when there is none of these."""
    from townsquare.accounts.models import Application, Role, User, UserSession

    staff = User.objects.filter(Q(role__in=[Role.ADMIN, Role.MODERATOR]) | ~Q(staff_role=None))
    times: list[datetime | None] = [
        UserSession.objects.filter(user__in=staff).aggregate(at=Max("last_seen_at"))["at"],
        staff.aggregate(at=Max("last_login"))["at"],
        Application.objects.aggregate(at=Max("decided_at"))["at"],
        state.site_settings().setup_done_at,
    ]
    try:
        from townsquare.moderation.models import AuditEntry

        times.append(AuditEntry.objects.exclude(actor=None).aggregate(at=Max("created_at"))["at"])
    except ImportError:  # pragma: no cover - the audit log is not installed
        pass
    known = [at for at in times if at is not None]
    return max(known) if known else None


def staff_idle() -> bool:
    """Whether no staff member acted for the operator's number of days (never, when there
    is no sign of staff at all: a site set up from the command line)."""
    days = state.site_settings().approval_when_staff_idle_days
    if not days:
        return False
    last = last_staff_activity()
    return last is not None and last < timezone.now() - timedelta(days=days)


def site_queue_reason() -> str | None:
    """Why sign-ups on an open site wait for approval now, for the dashboard (None: they
    do not)."""
    until = wave_until()
    if until is not None:
        return _(
            "Many sign-ups arrived in a short time: new sign-ups wait for approval until %(time)s."
        ) % {"time": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")}
    if staff_idle():
        days = state.site_settings().approval_when_staff_idle_days
        return _(
            "No member of staff has been active for %(days)d days: new sign-ups wait for "
            "approval until one is."
        ) % {"days": days}
    return None


def must_wait(ip: str | None) -> bool:
    """Whether this sign-up (already counted) goes to the approval queue on an open site."""
    if ratelimit.SIGNUPS_PER_IP.used(ip or "-") > QUEUE_AFTER_PER_IP:
        return True
    return site_queue_reason() is not None
