"""Experiment: the two settings-only proposals together (persistent_db and pg_prepared).

SQLite keeps its connections between requests; PostgreSQL prepares statements and reuses
generic plans. Combine with `--threads 1` (fewer request threads per worker process) to
measure every change that needs no code.
"""

from townsquare.settings import *  # noqa: F403
from townsquare.settings import DATABASES

if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    options = dict(DATABASES["default"].get("OPTIONS") or {})  # type: ignore[call-overload]
    options["server_side_binding"] = True
    options["prepare_threshold"] = 5
    options["options"] = "-c plan_cache_mode=force_generic_plan"
    DATABASES["default"]["OPTIONS"] = options
