"""A real `townsquare serve` (web server, job worker and streaming server) for the streaming
tests, with members and tokens made by a seed script in the server's own environment.

It inherits TOWNSQUARE_DATABASE_URL and TOWNSQUARE_REDIS_URL, so the PostgreSQL + Redis
pass streams through Redis; on PostgreSQL it gets a database of its own (made here, dropped
at the end), so it never touches the test database or another run's.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.databases import migrated_copy
from tests.e2e.conftest import _free_port, _stop, _townsquare_command

START_TIMEOUT = 90.0


@dataclass
class LiveServer:
    url: str  # the web server
    streaming: str  # http://host:port of the streaming server
    ws: str  # ws://host:port/api/v1/streaming
    env: dict[str, str]
    log_path: Path
    members: dict[str, Any] = field(default_factory=dict)  # name -> {"id", "token", ...}

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture(scope="session")
def live(
    tmp_path_factory: pytest.TempPathFactory, migrated_database: Path, migrated_postgres: str | None
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("townsquare-realtime")
    port, streaming_port = _free_port(), _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"TOWNSQUARE_EMAIL_URL", "TOWNSQUARE_DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        TOWNSQUARE_DATA_DIR=str(data_dir),
        TOWNSQUARE_BASE_URL=url,
        TOWNSQUARE_STREAMING_URL=f"ws://127.0.0.1:{streaming_port}",
        PYTHONUNBUFFERED="1",
    )
    with contextlib.ExitStack() as stack:
        env.update(
            stack.enter_context(
                migrated_copy(data_dir, migrated_database, migrated_postgres, "realtime")
            )
        )
        log_path = data_dir / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    *_townsquare_command(),
                    "serve",
                    "--port",
                    str(port),
                    "--streaming-port",
                    str(streaming_port),
                    "--workers",
                    "1",
                ],
                env=env,
                cwd=data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack.callback(_stop, process)
        streaming = f"http://127.0.0.1:{streaming_port}"
        server = LiveServer(
            url=url,
            streaming=streaming,
            ws=f"ws://127.0.0.1:{streaming_port}/api/v1/streaming",
            env=env,
            log_path=log_path,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not (_healthy(url + "/health") and _healthy(streaming + "/api/v1/streaming/health")):
            if process.poll() is not None:
                pytest.fail(f"townsquare serve exited {process.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"townsquare serve did not start:\n{server.log_tail()}")
            time.sleep(0.2)
        seeded = subprocess.run(
            [sys.executable, "-m", "tests.realtime.seed"],  # from the repository: tests.* imports
            env={**env, "DJANGO_SETTINGS_MODULE": "townsquare.settings"},
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert seeded.returncode == 0, seeded.stderr
        server.members = json.loads(seeded.stdout.strip().splitlines()[-1])
        yield server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failing streaming test shows the end of the server's log."""
    report = yield
    server = getattr(item, "funcargs", {}).get("live")
    if report.failed and isinstance(server, LiveServer):
        report.sections.append((f"server log {server.log_path}", server.log_tail(120)))
    return report
