"""Who may join and how: the site's registration mode (open, approval, invite only, closed),
invite links, applications that moderators accept or decline, email domains, the age and
terms questions, and the first admin made by the setup wizard."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts import signup_guard
from townsquare.accounts.actions import create_user, send_confirmation
from townsquare.accounts.languages import site_language, speaking_to
from townsquare.accounts.models import (
    Application,
    ApplicationState,
    Invite,
    Role,
    User,
)
from townsquare.accounts.tasks import send_email
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.moderation import audit
from townsquare.site import ip_blocks, state
from townsquare.site.models import InvitePolicy, RegistrationMode

MAX_INVITE_DAYS = 365
MAX_INVITE_USES = 1000
MAX_ANSWER = 1000


def _at_most(count: int) -> str:
    return ngettext("At most %(count)d character.", "At most %(count)d characters.", count) % {
        "count": count
    }


def mode() -> str:
    """The registration mode in force: the operator's choice, or closed while the setup
    wizard is unfinished or when TOWNSQUARE_REGISTRATIONS_OPEN=false forces it."""
    from townsquare.site.actions import setup_in_progress

    if not settings.TOWNSQUARE["REGISTRATIONS_OPEN"] or setup_in_progress():
        return RegistrationMode.CLOSED
    return state.site_settings().registration_mode


def closed_message() -> str:
    from townsquare.site.actions import setup_in_progress

    if setup_in_progress():
        return _("This site is being set up. Sign-ups open when it is ready.")
    if mode() == RegistrationMode.INVITE:
        return _("This site takes new members by invitation: ask a member for an invite link.")
    return _("New sign-ups are closed on this site for now.")


def accepts_sign_ups(invite_code: str = "") -> bool:
    """Whether the sign-up form is open (to this invite's holder, if any)."""
    current = mode()
    if current == RegistrationMode.CLOSED:
        return False
    if current == RegistrationMode.INVITE:
        return invite_status(invite_code) is None
    return True


# --- email domains ---------------------------------------------------------------------------


def _domain_listed(domain: str, listed: str) -> bool:
    """`domain` is one of the lines of `listed`, or below one of them (mail.example.org is
    under example.org)."""
    return any(domain == entry or domain.endswith("." + entry) for entry in listed.split())


def check_email_domain(email: str) -> None:
    domain = email.rpartition("@")[2].lower()
    row = state.site_settings()
    blocked = _domain_listed(domain, row.blocked_email_domains)
    if blocked or (
        row.allowed_email_domains and not _domain_listed(domain, row.allowed_email_domains)
    ):
        raise ValidationError(
            {
                "email": [
                    _("Sign-ups with email addresses at %(domain)s are not accepted here.")
                    % {"domain": domain}
                ]
            }
        )


# --- invites ---------------------------------------------------------------------------------


def may_invite(member: User) -> bool:
    if not member.is_active or member.is_page or mode() == RegistrationMode.CLOSED:
        return False
    if state.site_settings().invite_policy == InvitePolicy.MEMBERS:
        return member.email_confirmed
    return member.can("invite_members")


def create_invite(member: User, *, days: int | None = 7, max_uses: int | None = 1) -> Invite:
    """A new invite link. `days` None: it never expires; `max_uses` None: no limit."""
    if not may_invite(member):
        raise PermissionDenied(_("You cannot invite people to this site."))
    errors: dict[str, list[str]] = {}
    if days is not None and not 1 <= days <= MAX_INVITE_DAYS:
        errors["days"] = [
            ngettext("Between 1 and %(max)d day.", "Between 1 and %(max)d days.", MAX_INVITE_DAYS)
            % {"max": MAX_INVITE_DAYS}
        ]
    if max_uses is not None and not 1 <= max_uses <= MAX_INVITE_USES:
        errors["max_uses"] = [
            ngettext("Between 1 and %(max)d use.", "Between 1 and %(max)d uses.", MAX_INVITE_USES)
            % {"max": MAX_INVITE_USES}
        ]
    if errors:
        raise ValidationError(errors)
    ratelimit.INVITES_PER_ACCOUNT.hit(str(member.pk))
    return Invite.objects.create(
        code=secrets.token_urlsafe(12),
        creator=member,
        expires_at=timezone.now() + timedelta(days=days) if days is not None else None,
        max_uses=max_uses,
    )


def revoke_invite(member: User, invite_id: int) -> None:
    """Withdraw an invite: its creator, or staff who manage members."""
    invite = Invite.objects.select_related("creator").filter(pk=invite_id).first()
    if invite is None or (invite.creator_id != member.pk and not member.can("manage_users")):
        raise PermissionDenied(_("That invite is not yours."))
    with transaction.atomic():
        revoked = Invite.objects.filter(pk=invite.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        if revoked and invite.creator_id != member.pk:  # staff withdrew someone's invite
            audit.record(
                member,
                "invite.revoke",
                target=invite,
                before={"revoked": False, "uses": invite.uses},
                after={"revoked": True, "uses": invite.uses},
            )


def invite_status(code: str, *, invite: Invite | None = None) -> str | None:
    """None when the invite `code` can be used now, else why not (for the person holding it)."""
    if invite is None:
        invite = Invite.objects.filter(code=code).first() if code else None
    if invite is None:
        return _("This invite link is not valid.")
    if invite.revoked_at is not None:
        return _("This invite link was withdrawn.")
    if invite.expires_at is not None and invite.expires_at <= timezone.now():
        return _("This invite link has expired.")
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return _("This invite link has been used up.")
    if not User.objects.filter(pk=invite.creator_id, is_active=True).exists():
        return _("This invite link is no longer valid.")
    return None


def _spend_invite(code: str) -> Invite:
    """Count one use of the invite, inside the sign-up's transaction (two people racing for
    its last use: one of them gets it)."""
    invite = Invite.objects.select_for_update().filter(code=code).first()
    problem = invite_status(code, invite=invite) if invite is not None else invite_status(code)
    if problem is not None or invite is None:
        raise ValidationError({"invite": [problem or _("This invite link is not valid.")]})
    updated = Invite.objects.filter(
        Q(max_uses=None) | Q(uses__lt=F("max_uses")), pk=invite.pk
    ).update(uses=F("uses") + 1)
    if not updated:
        raise ValidationError({"invite": [_("This invite link has been used up.")]})
    return invite


def invites_of(member: User) -> list[Invite]:
    return list(Invite.objects.filter(creator=member).order_by("-id")[:100])


# --- signing up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Joining:
    """What a person answered on the sign-up form besides name, email and password."""

    invite_code: str = ""
    answer: str = ""  # to the approval question
    accepted_terms: bool = False
    confirmed_age: bool = False
    # The language the form was shown in (a code, or a browser's variant such as "es-MX"; an
    # app sends its `locale`): kept as the member's language when it is not the site's, so
    # the confirmation email and every later one (the decision on an application too) are
    # written in it.
    language: str = ""


def _language_chosen(code: str) -> str:
    """The site's language `code` stands for, or "" when it is the site's default one or
    not one the site speaks (the member then follows their browser, or the site)."""
    try:
        spoken = translation.get_supported_language_variant((code or "").strip())
    except LookupError:
        return ""
    return "" if spoken == site_language() else spoken


def terms_required() -> bool:
    """Sign-up asks to accept the site's rules and terms (always: the time is recorded)."""
    return True


def sign_up(
    username: str, email: str, password: str, *, ip: str | None, joining: Joining = Joining()
) -> User:
    """Public sign-up (the web form and the API). Every attempt counts against the address's
    limit (so the form cannot be used to probe names and emails). By mode: open, or invite
    only with a valid invite: the member confirms their email and logs in. Approval: the
    account waits, unable to log in, for a moderator (an invite skips the wait); so does an
    open site's sign-up during a wave of them (see signup_guard). Closed, or a blocked
    address: PermissionDenied. Sends the confirmation email."""
    current = mode()
    code = joining.invite_code.strip()
    if current == RegistrationMode.CLOSED or (current == RegistrationMode.INVITE and not code):
        raise PermissionDenied(closed_message())
    if ip_blocks.is_blocked(ip):
        raise PermissionDenied(signup_guard.refused_message())
    signup_guard.count_attempt(ip)  # RateLimited past the address's limit
    errors: dict[str, list[str]] = {}
    row = state.site_settings()
    if not joining.accepted_terms:
        errors["agreement"] = [_("Please accept the site's rules and terms to join.")]
    if row.min_age and not joining.confirmed_age:
        errors["age"] = [
            ngettext(
                "You must be at least %(age)d year old to join.",
                "You must be at least %(age)d years old to join.",
                row.min_age,
            )
            % {"age": row.min_age}
        ]
    answer = joining.answer.strip()
    asked = current == RegistrationMode.APPROVAL and not code
    # On an open site, a sign-up also waits during a wave of them (signup_guard).
    waits = asked or (current == RegistrationMode.OPEN and signup_guard.must_wait(ip))
    if asked and row.approval_question and not answer:
        errors["answer"] = [_("Please answer the question: moderators read it.")]
    if len(answer) > MAX_ANSWER:
        errors["answer"] = [_at_most(MAX_ANSWER)]
    try:
        check_email_domain(email)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    caught = None
    if not errors:
        try:
            caught = _check_rules(username, email)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if caught is not None and caught.hold:  # a content rule holds it for a moderator
        waits = True
    now = timezone.now()
    with transaction.atomic():
        invite = _spend_invite(code) if code else None
        user = create_user(username, email, password)
        user.invited_by_id = invite.creator_id if invite is not None else None
        user.terms_accepted_at = now
        user.age_confirmed_at = now if row.min_age else None
        user.is_active = not waits
        user.language = _language_chosen(joining.language)
        user.save(
            update_fields=[
                "invited_by",
                "terms_accepted_at",
                "age_confirmed_at",
                "is_active",
                "language",
            ]
        )
        if waits:
            Application.objects.create(
                user=user, username=user.username, email=user.email, answer=answer
            )
        if caught is not None:
            from townsquare.moderation import rules as content_rules

            content_rules.apply(caught, subject_id=user.pk, account=user)
        send_confirmation(user)
    return user


def _check_rules(username: str, email: str) -> Any:
    """The operator's content rules over a sign-up: its name and email (a link-domain rule
    matches the email's domain)."""
    from townsquare.moderation import rules as content_rules
    from townsquare.moderation.models import RuleSubject

    domain = email.rpartition("@")[2].strip().lower()
    return content_rules.check(
        RuleSubject.SIGNUPS,
        None,
        f"{username}\n{email}",
        links=[f"https://{domain}/"] if domain else [],
        mentions=[],
        field_name="username",
    )


def pending_application(user_id: int) -> Application | None:
    return Application.objects.filter(user_id=user_id, state=ApplicationState.PENDING).first()


# --- deciding on applications ------------------------------------------------------------------


def pending_applications(limit: int = 100) -> list[Application]:
    return list(
        Application.objects.filter(state=ApplicationState.PENDING)
        .select_related("user")
        .order_by("id")[:limit]
    )


def pending_count() -> int:
    return Application.objects.filter(state=ApplicationState.PENDING).count()


def _decision_email(application: Application, applicant: User | None, *, accepted: bool) -> None:
    """Tell the applicant, in the language they signed up in (`applicant` is their account,
    read before a decline deletes it; None: the site's language)."""
    site_name = state.site_name()
    with speaking_to(applicant):
        if accepted:
            template = "accounts/email/application_accepted.txt"
            subject = _("Welcome to %(site)s") % {"site": site_name}
        else:
            template = "accounts/email/application_declined.txt"
            subject = _("Your application to %(site)s") % {"site": site_name}
        body = render_to_string(
            template,
            {
                "application": application,
                "site_name": site_name,
                "login_link": settings.BASE_URL + "/login",
            },
        )
    enqueue(send_email, subject, body, application.email)


def _pending(moderator: User, application_id: int) -> Application:
    if not moderator.can("approve_signups"):
        raise PermissionDenied(_("You may not decide on applications."))
    application = (
        Application.objects.select_for_update()
        .filter(pk=application_id, state=ApplicationState.PENDING)
        .first()
    )
    if application is None:
        raise ValidationError(_("That application was already decided."))
    return application


def _applicant(user_id: int | None) -> User | None:
    """The applicant's account (for the language of the email about the decision)."""
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id).only("pk", "language").first()


def accept_application(moderator: User, application_id: int) -> Application:
    """Let the applicant in: they can log in (once their email is confirmed) and are emailed."""
    with transaction.atomic():
        application = _pending(moderator, application_id)
        application.state = ApplicationState.ACCEPTED
        application.decided_at, application.decided_by = timezone.now(), moderator
        application.save(update_fields=["state", "decided_at", "decided_by"])
        audit.record(
            moderator,
            "application.accept",
            target=application,
            before={"state": ApplicationState.PENDING},
            after={"state": ApplicationState.ACCEPTED},
        )
        applicant = _applicant(application.user_id)
        if applicant is not None:
            User.objects.filter(pk=applicant.pk).update(is_active=True)
        _decision_email(application, applicant, accepted=True)
    return application


def decline_application(moderator: User, application_id: int, reason: str = "") -> Application:
    """Turn the applicant down: their account is deleted (the name and address are free
    again), this application keeps the decision, and they are emailed (with the reason)."""
    reason = reason.strip()
    if len(reason) > MAX_ANSWER:
        raise ValidationError({"reason": [_at_most(MAX_ANSWER)]})
    with transaction.atomic():
        application = _pending(moderator, application_id)
        user_id = application.user_id
        applicant = _applicant(user_id)
        application.state = ApplicationState.DECLINED
        application.decided_at, application.decided_by = timezone.now(), moderator
        application.reason = reason
        application.user = None
        application.save(update_fields=["state", "decided_at", "decided_by", "reason", "user"])
        audit.record(
            moderator,
            "application.decline",
            target=application,
            before={"state": ApplicationState.PENDING},
            after={"state": ApplicationState.DECLINED, "reason": reason},
        )
        if user_id is not None:  # an applicant never logged in: no sessions to end
            User.objects.filter(pk=user_id, is_active=False).delete()
        _decision_email(application, applicant, accepted=False)
    return application


# --- the first admin ---------------------------------------------------------------------------


def create_first_admin(token: str, username: str, email: str, password: str) -> User:
    """The setup wizard's first step: the site's first admin, email confirmed, made with the
    one-time setup link (which stops working)."""
    from townsquare.site.actions import use_setup_token

    with transaction.atomic():
        use_setup_token(token)
        if User.objects.filter(role=Role.ADMIN).exists():
            raise PermissionDenied(_("This site already has an admin."))
        user = create_user(username, email, password, role=Role.ADMIN, email_confirmed=True)
        user.terms_accepted_at = timezone.now()
        user.save(update_fields=["terms_accepted_at"])
    return user
