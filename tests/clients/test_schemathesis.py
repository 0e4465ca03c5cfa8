"""Schemathesis over /api/openapi.json against a live server: for every documented operation,
generated requests (valid ones, and malformed ones) never get a server error, and every
response matches the document (status code, content type, body schema).

The server is its own (fresh data, its own rate-limit counters), so the thousand odd requests
made here cannot disturb the client journeys; the number of examples per operation is bounded
so that the run stays within about a minute and a half on two cores.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.clients.live import Site, running_site

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation: valid requests, then malformed ones.
POSITIVE_EXAMPLES = 15
NEGATIVE_EXAMPLES = 8
BUDGET_SECONDS = 120


@pytest.fixture(scope="module")
def fuzzed_site(
    tmp_path_factory: pytest.TempPathFactory, migrated_database: Path, migrated_postgres: str | None
) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("townsquare-schemathesis")
    with running_site(data_dir, "fuzz", migrated_database, migrated_postgres) as site:
        yield site


def _seed(site: Site, token: str) -> None:
    """A little content, so that listing endpoints return entities to check."""
    other = site.token("thyme")
    me = site.json("GET", "/api/v1/accounts/verify_credentials", token=token)
    site.json("POST", f"/api/v1/accounts/{me['id']}/follow", token=other)
    theirs = site.json("GET", "/api/v1/accounts/verify_credentials", token=other)
    site.json("POST", f"/api/v1/accounts/{theirs['id']}/follow", token=token)
    for text in ("Leeks are in #allotment", "Who has a spare spade?"):
        post = site.json("POST", "/api/v1/statuses", {"status": text}, token=other)
        site.json("POST", f"/api/v1/statuses/{post['id']}/favourite", token=token)
    site.json(
        "POST",
        "/api/v1/statuses",
        {
            "status": "@thyme fancy a swap?",
            "poll": {"options": ["leeks", "beans"], "expires_in": 3600},
        },
        token=token,
    )


def _run_operation(
    operation: Any, mode: schemathesis.GenerationMode, examples: int, session: requests.Session
) -> str | None:
    """Generated requests for one operation; the first failure as text, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,  # no .hypothesis folder in the work tree
        derandomize=True,  # the same requests every run, so a failure is reproducible
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
        suppress_health_check=list(HealthCheck),
    )
    def probe(case: schemathesis.Case) -> None:
        case.call_and_validate(session=session, checks=CHECKS, timeout=30)

    try:
        probe()
    except Unsatisfiable:  # e.g. no malformed request exists for an operation without inputs
        return None
    except (Exception, BaseExceptionGroup) as exc:  # one operation's failure hides no other's
        text = str(exc).strip()
        return f"{operation.label} [{mode.value}]: {type(exc).__name__}: {text[:1500]}"
    return None


def test_schemathesis_finds_no_server_error_and_no_schema_break(fuzzed_site: Site) -> None:
    token = fuzzed_site.token("sage")
    _seed(fuzzed_site, token)
    schema = schemathesis.openapi.from_url(f"{fuzzed_site.url}/api/openapi.json")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    started = time.monotonic()
    failures: list[str] = []
    operations = 0
    timings: list[tuple[float, str]] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        modes = [(schemathesis.GenerationMode.POSITIVE, POSITIVE_EXAMPLES)]
        if len(operation.query) or len(operation.body):  # something to malform besides the path
            modes.append((schemathesis.GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES))
        for mode, examples in modes:
            began = time.monotonic()
            failure = _run_operation(operation, mode, examples, session)
            timings.append((time.monotonic() - began, f"{operation.label} [{mode.value}]"))
            if failure:
                failures.append(failure)
    elapsed = time.monotonic() - started
    assert operations > 0
    slowest = sorted(timings, reverse=True)[:8]
    print(
        f"{operations} operations in {elapsed:.0f} s; slowest:",
        *(f"{t:.1f} s {label}" for t, label in slowest),
        sep="\n  ",
    )
    log = fuzzed_site.log_tail(5000).splitlines()
    # Each traceback in the server's log with the lines after it (what raised, and where).
    server_errors = [
        "\n".join(log[n : n + 40]) for n, line in enumerate(log) if "Traceback" in line
    ]
    report = "\n\n".join(failures)
    assert not failures, (
        f"{len(failures)} failing operation(s) of {operations} in {elapsed:.0f} s:\n\n{report}"
    )
    assert not server_errors, "\n\n".join(server_errors)
    assert elapsed < BUDGET_SECONDS * 2, f"the run took {elapsed:.0f} s"
