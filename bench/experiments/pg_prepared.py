"""Experiment: server-side parameter binding on PostgreSQL, so psycopg prepares statements.

With Django's default client-side binding every statement is parsed and planned anew; the
home feed statement (visibility rules with two sub-plans) spends longer planning than running.
With server_side_binding, psycopg prepares a statement after `prepare_threshold` (5) runs
on a connection; plan_cache_mode=force_generic_plan makes PostgreSQL reuse one plan instead
of re-planning every execution (measured on the seeded data: the home feed statement takes
0.84 ms with client-side binding, 1.17 ms prepared with the default plan cache mode, which
keeps choosing custom plans, and 0.22-0.34 ms prepared with a generic plan).
"""

from townsquare.settings import *  # noqa: F403
from townsquare.settings import DATABASES

if str(DATABASES["default"]["ENGINE"]).endswith("postgresql"):
    options = dict(DATABASES["default"].get("OPTIONS") or {})  # type: ignore[call-overload]
    options["server_side_binding"] = True
    options["prepare_threshold"] = 5
    options["options"] = "-c plan_cache_mode=force_generic_plan"
    DATABASES["default"]["OPTIONS"] = options
