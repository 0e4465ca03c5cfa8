"""Rate limits hold across web processes: the embedded site counts in its database."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import Site, assert_ok

HIT = """
import sys
from townsquare.core import ratelimit
from townsquare.core.ratelimit import RateLimited
refused = 0
for _ in range(int(sys.argv[1])):
    try:
        ratelimit.LOGIN_FAILURES_PER_ACCOUNT.hit("user:42")
    except RateLimited:
        refused += 1
print(refused)
"""


def test_two_processes_share_one_login_failure_count(
    tmp_path: Path, migrated_database: Path
) -> None:
    site = Site.make(tmp_path, database=migrated_database)
    assert_ok(site.townsquare("migrate"))
    limit = 10  # LOGIN_FAILURES_PER_ACCOUNT
    first = site.python(HIT, str(limit - 3))
    second = site.python(HIT, "5")
    assert_ok(first)
    assert_ok(second)
    assert first.stdout.split()[-1] == "0"
    assert second.stdout.split()[-1] == "2"  # 7 + 5 attempts: the 11th and 12th are refused
