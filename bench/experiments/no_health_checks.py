"""Experiment: no connection health check at the start of each request (saves a round trip
to PostgreSQL per request; a connection broken by a database restart fails one request)."""

from townsquare.settings import *  # noqa: F403
from townsquare.settings import DATABASES

DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
