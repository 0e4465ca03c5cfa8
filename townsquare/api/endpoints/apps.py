"""App registration: `POST /api/v1/apps` and `GET /api/v1/apps/verify_credentials`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from oauth2_provider.models import get_application_model
from pydantic import Field, field_validator

from townsquare.api import actions
from townsquare.api import scopes as scope_rules
from townsquare.api.errors import ApiError
from townsquare.api.models import AppInfo
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call, Reply
from townsquare.api.schemas.entities import Application, CredentialApplication
from townsquare.core.ratelimit import Limit

APPS_PER_IP = Limit("api-apps-ip", 100, 60 * 60)


def _uris(value: Any) -> list[str]:
    raw = value if isinstance(value, list) else str(value).split()
    return [str(uri).strip() for uri in raw if str(uri).strip()]


class AppParams(Params):
    client_name: str = Field(min_length=1, max_length=200)
    redirect_uris: str | list[str] = Field(
        description="One URI, several separated by newlines, or an array"
    )
    scopes: str = "read"
    website: str = Field(default="", max_length=500)

    @field_validator("redirect_uris")
    @classmethod
    def _check_uris(cls, value: str | list[str]) -> str | list[str]:
        uris = _uris(value)
        if not uris:
            raise ValueError(_("must name at least one redirect URI"))
        for uri in uris:
            if ":" not in uri or uri.startswith(":") or len(uri) > 2000:
                raise ValueError(_("%(uri)r is not a URI") % {"uri": uri})
            if uri.lower().startswith(("javascript:", "data:", "vbscript:")):
                raise ValueError(_("%(uri)r is not allowed") % {"uri": uri})
        return value

    @field_validator("scopes")
    @classmethod
    def _check_scopes(cls, value: str) -> str:
        bad = scope_rules.unknown(value)
        if bad:
            raise ValueError(_("unknown scope %(scope)r") % {"scope": bad[0]})
        return " ".join(scope_rules.normalize(value)) or "read"


def application_entity(app: Any, info: AppInfo | None) -> dict[str, Any]:
    uris = _uris(app.redirect_uris)
    return {
        "id": str(app.pk),
        "name": app.name,
        "website": (info.website if info else "") or None,
        "scopes": scope_rules.normalize(info.scopes if info else "read"),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": "",
    }


@api.post(
    "/api/v1/apps",
    auth="none",
    params=AppParams,
    response=CredentialApplication,
    errors=(422, 429),
    tag="apps",
)
def create_app(call: Call) -> dict[str, Any]:
    """Register a client application."""
    from townsquare.web.views.common import client_ip

    APPS_PER_IP.hit(client_ip(call.request) or "-")
    params: AppParams = call.params
    app, info, secret = actions.register_app(
        name=params.client_name,
        redirect_uris=_uris(params.redirect_uris),
        scopes=params.scopes,
        website=params.website,
    )
    entity = application_entity(app, info)
    entity["client_id"] = app.client_id
    entity["client_secret"] = secret
    entity["client_secret_expires_at"] = 0
    return entity


@api.get(
    "/api/v1/apps/verify_credentials",
    auth="app",
    response=Application,
    errors=(401,),
    tag="apps",
)
def verify_app(call: Call) -> Reply | dict[str, Any]:
    """The application the token belongs to."""
    assert call.auth is not None
    Application = get_application_model()
    app = Application.objects.select_related("mastodon").filter(pk=call.auth.application_id).first()
    if app is None:
        raise ApiError(401, _("The access token is invalid"))
    info = getattr(app, "mastodon", None)
    entity = application_entity(app, info)
    return entity
