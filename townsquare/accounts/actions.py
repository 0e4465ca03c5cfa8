"""The write layer for accounts: every change to a member's account or profile happens here."""

from __future__ import annotations

import contextlib
import re
from importlib import import_module
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.languages import speaking_to, supported_language
from townsquare.accounts.models import (
    ConnectionsVisibility,
    FriendsVisibility,
    MessagePolicy,
    Role,
    User,
    UserSession,
)
from townsquare.accounts.models.user import MAX_PROFILE_FIELDS
from townsquare.accounts.queries import render_member_text
from townsquare.accounts.tasks import send_email
from townsquare.accounts.usernames import validate_username
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.graph.actions import approve_all_requests
from townsquare.media import images
from townsquare.realtime import publish as realtime
from townsquare.site import state as site_state

CONFIRM_SALT = "townsquare.confirm-email"
CONFIRM_MAX_AGE = 3 * 24 * 60 * 60


class LoginRefused(Exception):
    """Why a login attempt did not sign anyone in (shown to the person as it is);
    `unconfirmed` when it is an email address still waiting for its confirmation."""

    def __init__(self, message: str, *, unconfirmed: bool = False) -> None:
        super().__init__(message)
        self.unconfirmed = unconfirmed


def _normalize_email(email: str) -> str:
    email = (email or "").strip()
    if len(email) > 254:
        raise ValidationError({"email": _("An email address has at most 254 characters.")})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _check_new_identity(
    username: str | None, email: str | None, exclude: int | None = None
) -> None:
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
    email = _normalize_email(email)
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Role must be one of %(roles)s.") % {"roles": ", ".join(Role.values)}}
        )
    _check_new_identity(username, email)  # before hashing: a taken name costs no argon2 run
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


def _absolute(path: str) -> str:
    return settings.BASE_URL + path


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
                "link": _absolute(reverse("confirm_email", args=[token])),
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
            _check_new_identity(None, email, exclude=user.pk)
            user.email = email
        user.email_confirmed = True
        user.save(update_fields=["email", "email_confirmed"])
    return user


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "-"


def authenticate_member(request: HttpRequest, login_name: str, password: str) -> User:
    """Check a username-or-email and password, with failed-login throttling per account and IP."""
    ip = _client_ip(request)
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
                "link": _absolute(reverse("password_reset_confirm", args=[uid, token])),
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


def change_email(user: User, password: str, new_email: str) -> None:
    """Ask to move to a new address: it takes effect when the link sent there is opened."""
    if not user.check_password(password):
        raise ValidationError({"password": _("Your current password is not right.")})
    email = _normalize_email(new_email)
    if email.lower() == user.email.lower():
        raise ValidationError({"email": _("That is already your email address.")})
    _check_new_identity(None, email, exclude=user.pk)
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


def _clean_fields(fields: list[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for item in fields:
        name = (item.get("name") or "").strip()
        value = (item.get("value") or "").strip()
        if not name and not value:
            continue
        if not name or not value:
            raise ValidationError({"fields": _("Each profile field needs a label and a value.")})
        if len(name) > 50 or len(value) > 200:
            raise ValidationError(
                {"fields": _("Field labels are at most 50 characters, values at most 200.")}
            )
        html = render_member_text(value).html
        cleaned.append({"name": name, "value": value, "value_html": html})
    if len(cleaned) > MAX_PROFILE_FIELDS:
        raise ValidationError(
            {
                "fields": ngettext(
                    "At most %(count)d profile field.",
                    "At most %(count)d profile fields.",
                    MAX_PROFILE_FIELDS,
                )
                % {"count": MAX_PROFILE_FIELDS}
            }
        )
    return cleaned


def _check_profile_rules(user: User, changes: dict[str, Any]) -> Any:
    """The operator's content rules over the profile's new words (moderation.rules)."""
    from townsquare.moderation import rules as content_rules
    from townsquare.moderation.models import RuleSubject

    parts = [changes.get("display_name", ""), changes.get("bio", "")]
    for item in changes.get("fields", []):
        parts += [str(item.get("name", "")), str(item.get("value", ""))]
    text = "\n".join(p for p in parts if p)
    if not text:
        return None
    where = (
        "bio"
        if changes.get("bio")
        else ("display_name" if changes.get("display_name") else "fields")
    )
    return content_rules.check(RuleSubject.PROFILES, user, text, field_name=where)


def update_profile(
    user: User,
    *,
    display_name: str | None = None,
    bio: str | None = None,
    fields: list[dict[str, str]] | None = None,
    locked: bool | None = None,
    discoverable: bool | None = None,
    avatar: IO[bytes] | None = None,
    header: IO[bytes] | None = None,
    remove_avatar: bool = False,
    remove_header: bool = False,
) -> User:
    """Change the public profile. Images are validated and processed before anything is saved."""
    ratelimit.PROFILE_UPDATES_PER_ACCOUNT.hit(str(user.pk))
    changes: dict[str, Any] = {}
    if display_name is not None:
        display_name = " ".join(display_name.split())
        if len(display_name) > 60:
            raise ValidationError({"display_name": _("At most 60 characters.")})
        changes["display_name"] = display_name
    if bio is not None:
        bio = bio.replace("\r\n", "\n").strip()  # browsers count a line break as one
        if len(bio) > 500:
            raise ValidationError({"bio": _("At most 500 characters.")})
        changes["bio"] = bio
        changes["bio_html"] = render_member_text(bio).html if bio else ""
    if fields is not None:
        changes["fields"] = _clean_fields(fields)
    if locked is not None:
        changes["locked"] = locked
    if discoverable is not None:
        changes["discoverable"] = discoverable
    caught = _check_profile_rules(user, changes)
    old_files: list[str] = []
    new_files: list[str] = []
    try:
        for upload, remove, attr, shape in (
            (avatar, remove_avatar, "avatar", images.AVATAR),
            (header, remove_header, "header", images.HEADER),
        ):
            if upload is not None:
                try:
                    path = images.process_image(upload, shape)
                except ValidationError as exc:
                    raise ValidationError({attr: exc.messages}) from None
                new_files.append(path)
                changes[attr] = path
            elif remove:
                changes[attr] = ""
            if attr in changes and getattr(user, attr):
                old_files.append(getattr(user, attr))
        with transaction.atomic():
            for attr, value in changes.items():
                setattr(user, attr, value)
            if changes:
                user.save(update_fields=list(changes))
            if caught is not None:
                from townsquare.moderation import rules as content_rules

                content_rules.apply(caught, subject_id=user.pk, account=user)
    except BaseException:
        for path in new_files:
            images.delete_image(path)
        raise
    was_unlocked = locked is False
    for path in old_files:
        transaction.on_commit(lambda p=path: images.delete_image(p))  # type: ignore[misc]
    if was_unlocked:
        approve_all_requests(user)
    return user


_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


def set_posting_defaults(
    user: User,
    *,
    visibility: int | None = None,
    sensitive: bool | None = None,
    language: str | None = None,
) -> User:
    """Change what a new post gets when its author does not say: its visibility (a
    posts.Visibility value), whether its media is marked sensitive, and its language (an ISO
    639 code, or "" for none)."""
    changes: dict[str, Any] = {}
    if visibility is not None:
        if visibility not in (0, 1, 2, 3):
            raise ValidationError({"visibility": _("Choose who sees your posts by default.")})
        changes["default_visibility"] = visibility
    if sensitive is not None:
        changes["default_sensitive"] = bool(sensitive)
    if language is not None:
        language = language.strip()
        if language and not _LANGUAGE.match(language):
            raise ValidationError({"language": _("Choose a language code such as en or fr.")})
        changes["default_language"] = language
    if not changes:
        return user
    ratelimit.WRITES_PER_ACCOUNT.hit(str(user.pk))
    for attr, value in changes.items():
        setattr(user, attr, value)
    user.save(update_fields=list(changes))
    return user


def set_privacy(
    user: User,
    *,
    message_policy: int | None = None,
    connections_visibility: int | None = None,
    friends_visibility: int | None = None,
    show_posts_to_visitors: bool | None = None,
) -> None:
    """The member's privacy choices (each left as it is when None): who may start a
    direct-message conversation with them, who may see whom they follow and who follows
    them, who may see their friends list (friends mode), and whether visitors without an
    account see their posts."""
    ratelimit.PROFILE_UPDATES_PER_ACCOUNT.hit(str(user.pk))
    changes: dict[str, Any] = {}
    if message_policy is not None:
        if message_policy not in MessagePolicy.values:
            raise ValidationError({"message_policy": _("Choose one of the options.")})
        changes["message_policy"] = message_policy
    if connections_visibility is not None:
        if connections_visibility not in ConnectionsVisibility.values:
            raise ValidationError({"connections_visibility": _("Choose one of the options.")})
        changes["connections_visibility"] = connections_visibility
    if friends_visibility is not None:
        if friends_visibility not in FriendsVisibility.values:
            raise ValidationError({"friends_visibility": _("Choose one of the options.")})
        changes["friends_visibility"] = friends_visibility
    visitors_changed = (
        show_posts_to_visitors is not None and show_posts_to_visitors != user.show_posts_to_visitors
    )
    if show_posts_to_visitors is not None:
        changes["show_posts_to_visitors"] = show_posts_to_visitors
    if not changes:
        return
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(**changes)
        if visitors_changed:
            realtime.visitors_rule_changed()
    for name, value in changes.items():
        setattr(user, name, value)


def set_language(user: User, code: str) -> None:
    """The language the site speaks to the member in (pages, emails, the API's messages): a
    code of settings.LANGUAGES, or "" for their browser's."""
    code = (code or "").strip()
    if code and supported_language(code) is None:
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    if code == user.language:
        return
    ratelimit.PROFILE_UPDATES_PER_ACCOUNT.hit(str(user.pk))
    User.objects.filter(pk=user.pk).update(language=code)
    user.language = code
