"""Accounts: one's own (verify and update credentials, preferences, sign-up through an app),
anyone's profile and posts, lookup and search. Following, blocking and muting are in
relationships.py."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy
from pydantic import Field, field_validator

from townsquare.accounts import actions as account_actions
from townsquare.accounts import registration
from townsquare.accounts.models import ConnectionsVisibility, User
from townsquare.accounts.queries import active_member, listed_people
from townsquare.api import actions as api_actions
from townsquare.api import errors
from townsquare.api import scopes as scope_rules
from townsquare.api.errors import ApiError
from townsquare.api.pagination import PageParams, link_header
from townsquare.api.params import Params, is_file
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply, object_id
from townsquare.api.schemas.accounts import FeaturedTag, Preferences
from townsquare.api.schemas.entities import Account, CredentialAccount, Status, Token
from townsquare.api.serializers.accounts import PRIVACY, account, accounts, credential_account
from townsquare.api.serializers.statuses import statuses
from townsquare.graph.models import Follow
from townsquare.graph.queries import is_blocked_between
from townsquare.posts.display import pinned_posts
from townsquare.posts.queries import list_posts
from townsquare.search.queries import search_people
from townsquare.site import features
from townsquare.site import state as site_state

READ_ACCOUNTS = ("read:accounts",)
PRIVACY_CODES = {name: code for code, name in PRIVACY.items()}
BINARY: dict[str, Any] = {"type": "string", "format": "binary"}


def member_or_404(raw_id: str) -> User:
    """The active member with this id (from the path), or 404."""
    user = User.objects.filter(pk=object_id(raw_id), is_active=True).first()
    if user is None or (user.is_page and not features.enabled("pages")):
        raise errors.not_found()
    return user


# --- one's own account -------------------------------------------------------------------


@api.get(
    "/api/v1/accounts/verify_credentials",
    auth="user",
    scope=("read:accounts", "profile"),
    response=CredentialAccount,
    tag="accounts",
)
def verify_credentials(call: Call) -> dict[str, Any]:
    """The caller's own account, with its `source`."""
    return credential_account(call.user)


class FieldParams(Params):
    keep_empty = frozenset({"name", "value"})
    name: str = ""
    value: str = ""


class SourceParams(Params):
    keep_empty = frozenset({"language"})
    privacy: Literal["public", "unlisted", "private", "direct"] | None = None
    sensitive: bool | None = None
    language: str | None = Field(default=None, max_length=8)


class UpdateCredentialsParams(Params):
    keep_empty = frozenset({"display_name", "note"})
    display_name: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=5000)
    avatar: Any = Field(default=None, json_schema_extra=BINARY)
    header: Any = Field(default=None, json_schema_extra=BINARY)
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    hide_collections: bool | None = None
    fields_attributes: dict[str, FieldParams] | list[FieldParams] | None = Field(
        default=None, description='Profile fields: {"0": {"name", "value"}, ...} or an array'
    )
    source: SourceParams | None = None

    @field_validator("avatar", "header")
    @classmethod
    def _file(cls, value: Any) -> Any:
        if value is not None and not is_file(value):
            raise ValueError(gettext("must be an uploaded image file"))
        return value

    @field_validator("fields_attributes")
    @classmethod
    def _at_most(
        cls, value: dict[str, FieldParams] | list[FieldParams] | None
    ) -> dict[str, FieldParams] | list[FieldParams] | None:
        if value is not None and len(value) > 16:
            raise ValueError(gettext("has too many fields"))
        return value


def _ordered_fields(
    raw: dict[str, FieldParams] | list[FieldParams],
) -> list[dict[str, str]]:
    if isinstance(raw, list):
        items = raw
    else:

        def position(key: str) -> tuple[int, str]:
            return (int(key), key) if key.isdigit() else (1 << 30, key)

        items = [raw[key] for key in sorted(raw, key=position)]
    return [{"name": item.name, "value": item.value} for item in items]


@api.patch(
    "/api/v1/accounts/update_credentials",
    auth="user",
    scope="write:accounts",
    params=UpdateCredentialsParams,
    response=CredentialAccount,
    errors=(413,),
    tag="accounts",
)
def update_credentials(call: Call) -> dict[str, Any]:
    """Change the caller's profile and posting defaults."""
    params: UpdateCredentialsParams = call.params
    user = call.user
    profile: dict[str, Any] = {}
    if params.display_name is not None:
        profile["display_name"] = params.display_name
    if params.note is not None:
        profile["bio"] = params.note
    if params.fields_attributes is not None:
        profile["fields"] = _ordered_fields(params.fields_attributes)
    for name in ("locked", "discoverable"):
        if getattr(params, name) is not None:
            profile[name] = getattr(params, name)
    if params.avatar is not None:
        profile["avatar"] = params.avatar
    if params.header is not None:
        profile["header"] = params.header
    source = params.source
    with transaction.atomic():
        if source is not None:
            account_actions.set_posting_defaults(
                user,
                visibility=PRIVACY_CODES[source.privacy] if source.privacy else None,
                sensitive=source.sensitive,
                language=source.language,
            )
        if profile:
            account_actions.update_profile(user, **profile)
        if params.hide_collections is not None:
            # Hidden keeps a narrower choice made on the site (followers only); shown is
            # everyone.
            hidden = user.connections_visibility or ConnectionsVisibility.ONLY_ME
            account_actions.set_privacy(
                user,
                connections_visibility=hidden
                if params.hide_collections
                else ConnectionsVisibility.EVERYONE,
            )
    return credential_account(user)


def _remove_image(call: Call, which: str) -> dict[str, Any]:
    user = call.user
    if which == "avatar" and user.avatar:
        account_actions.update_profile(user, remove_avatar=True)
    elif which == "header" and user.header:
        account_actions.update_profile(user, remove_header=True)
    return credential_account(user)


@api.delete(
    "/api/v1/profile/avatar",
    auth="user",
    scope="write:accounts",
    response=CredentialAccount,
    tag="accounts",
)
def delete_avatar(call: Call) -> dict[str, Any]:
    """Remove the caller's avatar."""
    return _remove_image(call, "avatar")


@api.delete(
    "/api/v1/profile/header",
    auth="user",
    scope="write:accounts",
    response=CredentialAccount,
    tag="accounts",
)
def delete_header(call: Call) -> dict[str, Any]:
    """Remove the caller's header image."""
    return _remove_image(call, "header")


@api.get(
    "/api/v1/preferences",
    auth="user",
    scope="read:accounts",
    response=Preferences,
    tag="accounts",
)
def preferences(call: Call) -> dict[str, Any]:
    """The caller's posting and reading preferences."""
    user = call.user
    return {
        "posting:default:visibility": PRIVACY.get(user.default_visibility, "public"),
        "posting:default:sensitive": bool(user.default_sensitive),
        "posting:default:language": user.default_language or None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }


# --- sign-up through an app ----------------------------------------------------------------


class RegisterParams(Params):
    username: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=400)
    password: str | None = Field(default=None, max_length=1000)
    agreement: bool | None = None
    locale: str | None = Field(default=None, max_length=20)
    reason: str | None = Field(default=None, max_length=2000)
    date_of_birth: str | None = Field(default=None, max_length=20)
    invite_code: str | None = Field(default=None, max_length=40)


_NAMES = {
    "username": gettext_lazy("Username"),
    "email": gettext_lazy("Email"),
    "password": gettext_lazy("Password"),
}
# Mastodon's error codes, from the codes of the errors (whatever language their words are in).
_CODES = {
    "taken": "ERR_TAKEN",
    "password_too_short": "ERR_TOO_SHORT",
    "min_length": "ERR_TOO_SHORT",
    "max_length": "ERR_TOO_LONG",
}


def _code(error: ValidationError, message: str) -> str:
    if error.code in _CODES:
        return _CODES[error.code]
    lowered = message.lower()  # an error without a code: its English words
    if "taken" in lowered or "already in use" in lowered:
        return "ERR_TAKEN"
    if "too short" in lowered or "at least" in lowered:
        return "ERR_TOO_SHORT"
    if "too long" in lowered or "at most" in lowered:
        return "ERR_TOO_LONG"
    return "ERR_INVALID"


_API_FIELDS = {"answer": "reason", "age": "date_of_birth", "invite": "invite_code"}


def _old_enough(birthday: str | None, details: dict[str, list[dict[str, str]]]) -> bool:
    """Whether the date of birth an app sent makes the person old enough for the site's
    minimum age (the date itself is not kept). Without a minimum age: True."""
    minimum = site_state.site_settings().min_age
    if not minimum:
        return True
    try:
        born = date.fromisoformat(birthday or "")
    except ValueError:
        details["date_of_birth"] = [
            {"error": "ERR_BLANK", "description": gettext("can't be blank")}
        ]
        return False
    today = timezone.localdate()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < minimum:
        details["date_of_birth"] = [
            {
                "error": "ERR_BELOW_LIMIT",
                "description": gettext("is below the age limit of %(age)d") % {"age": minimum},
            }
        ]
        return False
    return True


def _registration_failed(details: dict[str, list[dict[str, str]]]) -> Reply:
    parts = [
        f"{_NAMES.get(field, field.capitalize())} {item['description']}"
        for field, items in details.items()
        for item in items
    ]
    error = gettext("Validation failed: %(reasons)s") % {"reasons": ", ".join(parts)}
    return Reply({"error": error, "details": details}, status=422)


@api.post(
    "/api/v1/accounts",
    auth="app",
    scope="write:accounts",
    params=RegisterParams,
    response=Token,
    errors=(403, 422, 429),
    tag="accounts",
)
def register(call: Call) -> dict[str, Any] | Reply:
    """Sign up (for an app's sign-up form): returns a token for the new, unconfirmed member."""
    from townsquare.web.views.common import client_ip

    params: RegisterParams = call.params
    if not registration.accepts_sign_ups(params.invite_code or ""):
        raise ApiError(403, registration.closed_message())
    assert call.auth is not None
    details: dict[str, list[dict[str, str]]] = {}
    for field in ("username", "email", "password"):
        if not getattr(params, field):
            details[field] = [{"error": "ERR_BLANK", "description": gettext("can't be blank")}]
    if not params.agreement:
        details["agreement"] = [
            {"error": "ERR_ACCEPTED", "description": gettext("must be accepted")}
        ]
    old_enough = _old_enough(params.date_of_birth, details)
    if details:
        return _registration_failed(details)
    assert params.username and params.email and params.password
    joining = registration.Joining(
        invite_code=params.invite_code or "",
        answer=params.reason or "",
        accepted_terms=True,
        confirmed_age=old_enough,
        language=params.locale or translation.get_language() or "",  # the app's, else the browser's
    )
    try:
        # Not inside a transaction of this view's own: the attempt must stay counted against
        # the address's sign-up limit even when it fails.
        user = registration.sign_up(
            params.username,
            params.email,
            params.password,
            ip=client_ip(call.request),
            joining=joining,
        )
    except PermissionDenied as exc:
        raise ApiError(403, str(exc)) from None
    except ValidationError as exc:
        found = exc.error_dict if hasattr(exc, "error_dict") else {"base": exc.error_list}
        for field, problems in found.items():
            details[_API_FIELDS.get(field, field)] = [
                {"error": _code(problem, message), "description": message.rstrip(".")}
                for problem in problems
                for message in problem.messages
            ]
        return _registration_failed(details)
    scope = " ".join(s for s in scope_rules.ALL if s in call.auth.scopes) or "read"
    raw, created = api_actions.issue_token(user, call.auth.application_id, scope)
    return {
        "access_token": raw,
        "token_type": "Bearer",
        "scope": scope,
        "created_at": int(created.timestamp()),
    }


# --- anyone's account ----------------------------------------------------------------------


def _site_hosts() -> set[str]:
    parts = urlsplit(settings.BASE_URL)
    return {host.lower() for host in (parts.netloc, parts.hostname or "") if host}


def _local_username(acct: str) -> str | None:
    """`name`, `@name` or `name@this-site` -> name; another site's account -> None."""
    name, _, domain = acct.strip().removeprefix("@").partition("@")
    if domain and domain.lower() not in _site_hosts():
        return None
    return name or None


class LookupParams(Params):
    acct: str = Field(min_length=1, max_length=400)


@api.get(
    "/api/v1/accounts/lookup",
    auth="optional",
    scope=READ_ACCOUNTS,
    params=LookupParams,
    response=Account,
    errors=(404,),
    tag="accounts",
)
def lookup(call: Call) -> dict[str, Any]:
    """The account with this username (`name` or `name@this-site`)."""
    params: LookupParams = call.params
    name = _local_username(params.acct)
    user = active_member(name) if name else None
    if user is None or (user.is_page and not features.enabled("pages")):
        raise errors.not_found()
    return account(user)


class AccountSearchParams(Params):
    q: str = Field(min_length=1, max_length=400)
    limit: int = Field(default=40, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0, le=10_000)
    resolve: bool = False
    following: bool = False


@api.get(
    "/api/v1/accounts/search",
    auth="user",
    scope=READ_ACCOUNTS,
    params=AccountSearchParams,
    response=list[Account],
    tag="accounts",
)
def search_accounts(call: Call) -> list[dict[str, Any]]:
    """Members whose username or display name matches `q` (an exact username first)."""
    params: AccountSearchParams = call.params
    viewer = call.user
    limit = min(params.limit, 80)
    wanted = params.offset + limit
    text = params.q.strip()
    name = _local_username(text) if "@" in text.lstrip("@") else text.lstrip("@")
    if name is None:
        return []
    found = [user.pk for user in search_people(viewer, name, limit=wanted + 40)]
    exact = User.objects.filter(
        listed_people(viewer), username__iexact=name, is_active=True
    ).first()
    if exact is not None and exact.pk not in found and not is_blocked_between(viewer.pk, exact.pk):
        found.insert(0, exact.pk)  # found by exact name even when not discoverable
    if params.following:
        followed = set(
            Follow.objects.filter(follower=viewer, followee_id__in=found).values_list(
                "followee_id", flat=True
            )
        )
        found = [pk for pk in found if pk in followed]
    return accounts(found[params.offset : wanted])


@api.get(
    "/api/v1/accounts/{id}",
    auth="optional",
    scope=READ_ACCOUNTS,
    response=Account,
    tag="accounts",
)
def get_account(call: Call, id: str) -> dict[str, Any]:
    """A member's account."""
    return account(member_or_404(id))


class AccountStatusesParams(PageParams):
    pinned: bool = False
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    only_media: bool = False
    tagged: str | None = Field(default=None, max_length=100)


@api.get(
    "/api/v1/accounts/{id}/statuses",
    auth="optional",
    scope="read:statuses",
    params=AccountStatusesParams,
    response=list[Status],
    tag="accounts",
)
def account_statuses(call: Call, id: str) -> Reply:
    """A member's posts and shares that the caller may see, newest first."""
    params: AccountStatusesParams = call.params
    author = member_or_404(id)
    viewer = call.viewer
    limit = min(params.limit, 40)
    if params.pinned:
        pinned = [
            post
            for post in pinned_posts(viewer, author)
            if (params.max_id is None or post.id < params.max_id)
            and (params.since_id is None or post.id > params.since_id)
            and (params.min_id is None or post.id > params.min_id)
            and not (params.only_media and not post.has_media)
        ]
        return Reply(statuses(viewer, pinned[:limit]))
    where = "p.author_id = %s"
    args: list[Any] = [author.pk]
    if params.exclude_replies:
        where += " AND (p.in_reply_to_author_id IS NULL OR p.in_reply_to_author_id = %s)"
        args.append(author.pk)
    if params.exclude_reblogs:
        where += " AND p.reblog_of_id IS NULL"
    if params.only_media:
        where += " AND EXISTS (SELECT 1 FROM media_mediaattachment ma WHERE ma.post_id = p.id)"
    if params.tagged:
        where += (
            " AND p.id IN (SELECT ph.post_id FROM posts_posthashtag ph"
            " JOIN posts_hashtag h ON h.id = ph.hashtag_id WHERE h.name = %s)"
        )
        args.append(params.tagged.strip().removeprefix("#").lower())
    items = list_posts(
        viewer,
        where=where,
        params=args,
        max_id=params.max_id,
        since_id=params.since_id,
        min_id=params.min_id,
        limit=limit,
        hide_muted=False,
    )
    return Reply(
        statuses(viewer, items, context="account"),
        headers=link_header(call.request, [p.id for p in items]),
    )


@api.get(
    "/api/v1/accounts/{id}/featured_tags",
    auth="optional",
    scope=READ_ACCOUNTS,
    response=list[FeaturedTag],
    tag="accounts",
)
def account_featured_tags(call: Call, id: str) -> list[dict[str, Any]]:
    """Hashtags a member features on their profile (Townsquare has none)."""
    member_or_404(id)
    return []


@api.get(
    "/api/v1/accounts/{id}/identity_proofs",
    auth="optional",
    scope=READ_ACCOUNTS,
    response=list[dict[str, str]],
    tag="accounts",
)
def identity_proofs(call: Call, id: str) -> list[dict[str, str]]:
    """Identity proofs (removed from Mastodon; always empty)."""
    member_or_404(id)
    return []


@api.get(
    "/api/v1/featured_tags",
    auth="user",
    scope=READ_ACCOUNTS,
    response=list[FeaturedTag],
    tag="featured_tags",
)
def featured_tags(call: Call) -> list[dict[str, Any]]:
    """The caller's featured hashtags (Townsquare has none)."""
    return []


@api.get(
    "/api/v1/featured_tags/suggestions",
    auth="user",
    scope=READ_ACCOUNTS,
    response=list[dict[str, Any]],
    tag="featured_tags",
)
def featured_tag_suggestions(call: Call) -> list[dict[str, Any]]:
    """Hashtags the caller might feature (none)."""
    return []
