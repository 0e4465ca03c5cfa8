"""Endpoint modules, one per area of Mastodon's API. Importing this package registers them."""

from townsquare.api.endpoints import (  # noqa: F401 - imported for their routes
    accounts,
    apps,
    conversations,
    filters,
    instance,
    lists,
    markers,
    media,
    misc,
    notifications,
    polls,
    relationships,
    reports,
    scheduled,
    search,
    status_actions,
    statuses,
    tags,
    timelines,
    trends,
)
