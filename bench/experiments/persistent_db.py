"""Experiment: keep database connections open between requests on SQLite too.

townsquare/settings.py sets CONN_MAX_AGE only for PostgreSQL, so on SQLite every request
opens a connection (running the init PRAGMAs and registering Django's SQL functions) and
closes it again, and starts with an empty page cache.
"""

from townsquare.settings import *  # noqa: F403
from townsquare.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
