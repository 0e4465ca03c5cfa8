"""What the site tells apps about itself: the instance entity (v1 and v2), rules, peers, and
nodeinfo."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from townsquare import __version__
from townsquare.accounts import registration
from townsquare.accounts.models import User
from townsquare.api.registry import api
from townsquare.api.router import Call
from townsquare.api.schemas.entities import Rule
from townsquare.api.schemas.instance import InstanceV1, InstanceV2
from townsquare.api.serializers.common import static_url
from townsquare.polls import models as poll_rules
from townsquare.posts.actions import MAX_PINS
from townsquare.posts.models import Post
from townsquare.site import features
from townsquare.site import state as site_state
from townsquare.site.limits import current_limits
from townsquare.site.models import RegistrationMode
from townsquare.site.models import Rule as SiteRule

# Clients read the leading numbers as the Mastodon version whose API this one matches.
MASTODON_VERSION = "4.2.0"
VERSION = f"{MASTODON_VERSION} (compatible; Townsquare {__version__})"

IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
VIDEO_TYPES = ["video/mp4", "video/webm", "video/quicktime"]


def streaming_url() -> str:
    """Where apps open the streaming API: the configured address, else the streaming server
    that `townsquare serve` runs on the port after the web server's."""
    configured = settings.TOWNSQUARE["STREAMING_URL"]
    if configured:
        return configured.rstrip("/")
    parts = urlsplit(settings.BASE_URL)
    scheme = "wss" if parts.scheme == "https" else "ws"
    netloc = parts.netloc
    if parts.port:
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        netloc = f"{host}:{parts.port + 1}"
    return urlunsplit((scheme, netloc, "", "", ""))


def _domain() -> str:
    return urlsplit(settings.BASE_URL).netloc


def _limits() -> dict[str, Any]:
    """The limits apps check before sending (the operator's, see site.limits); without
    video (the operator's switch) only image types are offered."""
    limits = current_limits()
    video = features.enabled("video")
    return {
        "accounts": {"max_featured_tags": 10, "max_pinned_statuses": MAX_PINS},
        "statuses": {
            "max_characters": limits.post_length,
            "max_media_attachments": limits.media_per_post,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": IMAGE_TYPES + (VIDEO_TYPES if video else []),
            "image_size_limit": limits.image_bytes,
            "image_matrix_limit": 33_177_600,
            "video_size_limit": limits.video_bytes,
            "video_frame_rate_limit": 60,
            "video_matrix_limit": 8_294_400,
            "description_limit": 1500,
        },
        "polls": {
            "max_options": poll_rules.MAX_OPTIONS,
            "max_characters_per_option": poll_rules.MAX_TITLE_LENGTH,
            "min_expiration": poll_rules.MIN_DURATION,
            "max_expiration": poll_rules.MAX_DURATION,
        },
    }


def _stats() -> dict[str, int]:
    return {
        "user_count": User.objects.filter(is_active=True).count(),
        "status_count": Post.objects.count(),
        "domain_count": 0,
    }


def rules() -> list[dict[str, str]]:
    """The site's rules, in the operator's order."""
    return [
        {"id": str(rule.pk), "text": rule.text, "hint": rule.hint}
        for rule in SiteRule.objects.all()
    ]


def _registrations() -> dict[str, Any]:
    mode = registration.mode()
    return {
        # Invite-only sites take sign-ups, but only through invite links (not through an app's
        # plain sign-up form): apps are told they are closed, with the reason.
        "enabled": mode in (RegistrationMode.OPEN, RegistrationMode.APPROVAL),
        "approval_required": mode == RegistrationMode.APPROVAL,
        "message": None
        if mode in (RegistrationMode.OPEN, RegistrationMode.APPROVAL)
        else registration.closed_message(),
        "invites_enabled": mode != RegistrationMode.CLOSED,
    }


def _description() -> str:
    return f"{site_state.site_name()}, a community on Townsquare."


@api.get("/api/v1/instance", auth="none", response=InstanceV1, tag="instance")
def instance_v1(call: Call) -> dict[str, Any]:
    """The site, as Mastodon 3.x apps read it."""
    joining = _registrations()
    return {
        "uri": _domain(),
        "title": site_state.site_name(),
        "short_description": _description(),
        "description": _description(),
        "email": site_state.contact_email(),
        "version": VERSION,
        "urls": {"streaming_api": streaming_url()},
        "stats": _stats(),
        "thumbnail": static_url("townsquare/missing-header.png"),
        "languages": ["en"],
        "registrations": joining["enabled"],
        "approval_required": joining["approval_required"],
        "invites_enabled": joining["invites_enabled"],
        "configuration": _limits(),
        "contact_account": None,
        "rules": rules(),
    }


@api.get("/api/v2/instance", auth="none", response=InstanceV2, tag="instance")
def instance_v2(call: Call) -> dict[str, Any]:
    """The site: name, limits, registration, contact and the streaming address."""
    joining = _registrations()
    thumbnail = static_url("townsquare/missing-header.png")
    return {
        "domain": _domain(),
        "title": site_state.site_name(),
        "version": VERSION,
        "source_url": "https://github.com/townsquare/townsquare",
        "description": _description(),
        "usage": {
            "users": {
                "active_month": User.objects.filter(is_active=True).count(),
            }
        },
        "thumbnail": {"url": thumbnail, "blurhash": None, "versions": {}},
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": streaming_url(), "status": None},
            "vapid": {"public_key": ""},
            "translation": {"enabled": False},
            **_limits(),
        },
        "registrations": {
            "enabled": joining["enabled"],
            "approval_required": joining["approval_required"],
            "message": joining["message"],
            "url": None,
        },
        "api_versions": {"mastodon": 2},
        "contact": {"email": site_state.contact_email(), "account": None},
        "rules": rules(),
    }


@api.get("/api/v1/instance/rules", auth="none", response=list[Rule], tag="instance")
def instance_rules(call: Call) -> list[dict[str, str]]:
    """The site's rules."""
    return rules()


@api.get("/api/v1/instance/peers", auth="none", response=list[str], tag="instance")
def instance_peers(call: Call) -> list[str]:
    """Other sites this one talks to: none (Townsquare does not federate)."""
    return []


@api.get("/api/v1/instance/activity", auth="none", response=list[dict[str, str]], tag="instance")
def instance_activity(call: Call) -> list[dict[str, str]]:
    """Weekly activity: not published."""
    return []


def nodeinfo_index(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "links": [
                {
                    "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                    "href": f"{settings.BASE_URL}/nodeinfo/2.0",
                }
            ]
        }
    )


def nodeinfo(request: HttpRequest) -> JsonResponse:
    users = User.objects.filter(is_active=True).count()
    response = JsonResponse(
        {
            "version": "2.0",
            "software": {"name": "townsquare", "version": __version__},
            "protocols": [],
            "services": {"outbound": [], "inbound": []},
            "usage": {
                "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
                "localPosts": Post.objects.count(),
            },
            "openRegistrations": _registrations()["enabled"],
            "metadata": {"nodeName": site_state.site_name()},
        }
    )
    response["Content-Type"] = (
        'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"'
    )
    return response
