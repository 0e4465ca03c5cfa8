"""Fixtures for the client tests: one live server shared by the client journeys (see live.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clients.live import Site, running_site


@pytest.fixture(scope="session")
def site(
    tmp_path_factory: pytest.TempPathFactory, migrated_database: Path, migrated_postgres: str | None
) -> Iterator[Site]:
    """The server the client journeys share (members: fern, basil, rosa...)."""
    data_dir = tmp_path_factory.mktemp("townsquare-clients")
    with running_site(data_dir, "main", migrated_database, migrated_postgres) as running:
        yield running


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failing client test shows the end of the server's log (tracebacks of 500s are there)."""
    report = yield
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Site):
                report.sections.append((f"server log {value.server.log_path}", value.log_tail(120)))
    return report
