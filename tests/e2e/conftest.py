"""End-to-end fixtures: a real `townsquare serve` process and a headless Chromium.

The server runs on a free loopback port with a fresh data folder (SQLite, local memory cache,
mail written to <data dir>/mail), exactly as `townsquare serve` runs on a laptop.

Chromium is the Debian package at /usr/bin/chromium, driven by Playwright for Python; no
browser is ever downloaded. When it (or the playwright package) is missing, the e2e tests are
deselected with a notice, except under CI=true, where they fail.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
E2E_DIR = Path(__file__).resolve().parent
SCREENSHOTS = E2E_DIR / "screenshots"
SERVER_START_TIMEOUT = 90.0

T = TypeVar("T")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    e2e = [item for item in items if item.get_closest_marker("e2e")]
    problem = _browser_problem() if e2e else None
    if problem is None or _in_ci():
        return  # under CI=true the `browser` fixture fails each test instead
    config.hook.pytest_deselected(items=e2e)
    items[:] = [item for item in items if not item.get_closest_marker("e2e")]
    notice = f"NOTICE: {len(e2e)} end-to-end browser test(s) deselected: {problem}"
    config.stash[_NOTICE] = notice
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(notice, yellow=True, bold=True)


_NOTICE = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    notice = config.stash.get(_NOTICE, None)
    if notice:
        terminalreporter.write_line(notice, yellow=True, bold=True)


# --- the server ----------------------------------------------------------------------------


def wait_until(
    probe: Callable[[], T | None], *, timeout: float, interval: float = 0.2, what: str = ""
) -> T:
    """Call `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what or probe}")
        time.sleep(interval)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _townsquare_command() -> list[str]:
    script = Path(sys.executable).with_name("townsquare")
    if script.exists():
        return [str(script)]
    found = shutil.which("townsquare")
    return [found] if found else [sys.executable, "-m", "townsquare.cli"]


@dataclass
class Server:
    url: str
    data_dir: Path
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (and its job worker) before the test ends."""
        _stop(self.process)

    def townsquare(self, *args: str, stdin: str | None = None) -> str:
        """Run a `townsquare` command against this server's data folder."""
        result = subprocess.run(
            [*_townsquare_command(), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.data_dir,
            timeout=60,
        )
        assert result.returncode == 0, (
            f"townsquare {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
        return result.stdout

    def create_member(self, username: str, email_address: str, password: str) -> None:
        out = self.townsquare(
            "user", "create", username, "--email", email_address, "--password-stdin",
            stdin=password + "\n",
        )  # fmt: skip
        assert f"@{username}" in out, out

    def mail_to(self, address: str) -> list[str]:
        """Bodies of every message written to <data dir>/mail for `address`, oldest first."""
        bodies = []
        separator = re.compile(r"^-{79}$", re.MULTILINE)
        for path in sorted((self.data_dir / "mail").glob("*.log")):
            for chunk in separator.split(path.read_text(errors="replace")):
                if not chunk.strip():
                    continue
                message = email.message_from_string(chunk.lstrip(), policy=email.policy.default)
                if address.lower() not in str(message.get("To", "")).lower():
                    continue
                part = message.get_body(preferencelist=("plain",))
                if part is not None:
                    bodies.append(part.get_content())
        return bodies


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return response.status == 200 and b"ok" in response.read()
    except (OSError, urllib.error.URLError):
        return False


@contextlib.contextmanager
def _serving(data_dir: Path, migrated: Path, *, set_up: bool) -> Iterator[Server]:
    """`townsquare serve` on a fresh data folder whose database is a copy of the run's
    migrated one (`migrated`: every command migrates first, this only saves the time); `set_up`:
    as a site whose operator has been through the setup wizard (otherwise the server prints the
    wizard's link)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated, data_dir / "townsquare.sqlite3")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        # the embedded default: no PostgreSQL, no Redis, no SMTP, the real settings module
        if key
        not in {
            "TOWNSQUARE_DATABASE_URL",
            "TOWNSQUARE_REDIS_URL",
            "TOWNSQUARE_EMAIL_URL",
            "TOWNSQUARE_DEBUG",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env.update(
        TOWNSQUARE_DATA_DIR=str(data_dir),
        TOWNSQUARE_BASE_URL=url,
        PYTHONUNBUFFERED="1",
    )
    log_path = data_dir / "server.log"
    if set_up:
        subprocess.run(
            [*_townsquare_command(), "setup", "--skip"],
            env=env,
            cwd=data_dir,
            check=True,
            capture_output=True,
            timeout=120,
        )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*_townsquare_command(), "serve", "--port", str(port)],
            env=env,
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches its workers
        )
    running = Server(url=url, data_dir=data_dir, env=env, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(f"townsquare serve exited {process.returncode}:\n{running.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"townsquare serve did not answer /health:\n{running.log_tail()}")
            time.sleep(0.2)
        yield running
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, migrated_database: Path) -> Iterator[Server]:
    """The site most journeys use, set up by its operator already."""
    data_dir = tmp_path_factory.mktemp("townsquare-e2e-data")
    with _serving(data_dir, migrated_database, set_up=True) as running:
        yield running


@pytest.fixture
def new_site(tmp_path_factory: pytest.TempPathFactory, migrated_database: Path) -> Iterator[Server]:
    """A site just installed: nobody has opened its setup wizard yet."""
    data_dir = tmp_path_factory.mktemp("townsquare-e2e-new")
    with _serving(data_dir, migrated_database, set_up=False) as running:
        yield running


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl+C for the server (its main process only), then force its process group down.

    SIGINT goes to the main process alone: granian then stops its worker itself. Sending it to
    the whole group, as a terminal's Ctrl+C does, sometimes leaves the worker hanging.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # what is left: a stuck worker, or all of it
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failing e2e test shows the end of the server's log (tracebacks of 500s are there)."""
    report = yield
    funcargs = getattr(item, "funcargs", {})
    server = funcargs.get("server") or funcargs.get("new_site")
    if report.failed and isinstance(server, Server):
        report.sections.append((f"server log {server.log_path}", server.log_tail(150)))
    return report


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    problem = _browser_problem()
    if problem is not None:
        pytest.fail(f"end-to-end tests need a browser, and CI=true: {problem}")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (10 s, set on each context): CI runs this pass
    # beside the PostgreSQL one, and a live connection can take more than Playwright's 5 s
    # default to open there; an assertion that never holds still fails.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
