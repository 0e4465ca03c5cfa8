"""Endpoint modules, one per area of Mastodon's API. Importing this package registers them."""

from townsquare.api.endpoints import (  # noqa: F401 - imported for their routes
    accounts,
    apps,
    instance,
    media,
    misc,
    notifications,
    search,
    statuses,
    timelines,
)
