"""statuses endpoints."""

from townsquare.api.registry import api  # noqa: F401
