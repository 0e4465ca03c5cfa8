"""The API's URLs: the Mastodon endpoints from the registry, OAuth, and discovery documents."""

from django.urls import path, re_path

import townsquare.api.endpoints  # noqa: F401 - registers the routes
from townsquare.api.endpoints.instance import nodeinfo, nodeinfo_index
from townsquare.api.oauth import views as oauth
from townsquare.api.openapi import openapi_view
from townsquare.api.registry import api
from townsquare.api.router import unknown_endpoint
from townsquare.realtime.views import streaming_health

urlpatterns = [
    re_path(r"^oauth/authorize/?$", oauth.authorize, name="oauth_authorize"),
    re_path(r"^oauth/token/?$", oauth.token, name="oauth_token"),
    re_path(r"^oauth/revoke/?$", oauth.revoke, name="oauth_revoke"),
    path(
        ".well-known/oauth-authorization-server",
        oauth.server_metadata,
        name="oauth_metadata",
    ),
    path(".well-known/nodeinfo", nodeinfo_index, name="nodeinfo_index"),
    re_path(r"^nodeinfo/2\.0/?$", nodeinfo, name="nodeinfo"),
    path("api/openapi.json", openapi_view, name="openapi"),
    path("api/v1/streaming/health", streaming_health, name="streaming_health"),
    *api.urlpatterns(),
    # Anything else under /api/ is Mastodon's JSON 404, not the site's HTML page.
    re_path(r"^api/", unknown_endpoint, name="api_unknown"),
]
