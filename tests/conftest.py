from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.cache import cache

if TYPE_CHECKING:
    from django.http import HttpResponse
    from django.test import Client

    from townsquare.accounts.models import User


def pytest_configure(config: pytest.Config) -> None:
    """Network in tests is loopback only: any other outbound connection fails the test."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else str(address)
            if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("127."):
                raise RuntimeError(f"tests may not connect to {host}")
        return real_connect(self, address)  # type: ignore[arg-type]

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Cached values (and, with Redis, rate-limit counters) never leak from one test into the
    next. Embedded, the counters live in a database table that each test's rollback clears."""
    from townsquare.feeds import broadcasters
    from townsquare.site import state

    cache.clear()
    state.reset()
    broadcasters.forget_local()
    yield
    cache.clear()
    state.reset()
    broadcasters.forget_local()


@pytest.fixture(autouse=True)
def _own_bucket_prefix(request: pytest.FixtureRequest) -> None:
    """With S3-compatible storage (TOWNSQUARE_TEST_S3=1), each test stores its media and data
    archives under a prefix of its own in the run's bucket, as it otherwise gets a media
    folder of its own: what one test stores, no other sees."""
    from django.conf import settings as django_settings

    if not django_settings.CONFIG.s3:
        return
    settings = request.getfixturevalue("settings")
    own = f"tests/{uuid.uuid4().hex}"
    storages = {name: dict(entry) for name, entry in settings.STORAGES.items()}
    for name in ("default", "private"):
        options = dict(storages[name]["OPTIONS"])
        options["location"] = f"{own}/{options['location']}"
        storages[name]["OPTIONS"] = options
    settings.STORAGES = storages


@pytest.fixture
def fern() -> User:
    """A member of the gardening club (no password: signed in with force_login)."""
    from tests.factories import make_user

    return make_user("fern")


@pytest.fixture
def browser(fern: User) -> Client:
    """A browser signed in as fern."""
    from django.test import Client

    client = Client()
    client.force_login(fern)
    return client


@pytest.fixture
def switches_read_once(monkeypatch: pytest.MonkeyPatch, db: None) -> None:
    """The operator's feature switches and site settings are read before the test and not
    again, however slow the test: in service each process reads them once every few seconds,
    a cost no single page carries (for tests that count a page's queries)."""
    from townsquare.site import state

    monkeypatch.setattr(state, "REFRESH_SECONDS", 3600.0)
    state.current()


def text_of(response: HttpResponse) -> str:
    return response.content.decode()


def client_of(member: User | None) -> Client:
    """A browser signed in as `member` (a visitor's for None)."""
    from django.test import Client

    client = Client()
    if member is not None:
        client.force_login(member)
    return client


@pytest.fixture
def database_vendor() -> str:
    from django.db import connection

    return connection.vendor


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("TOWNSQUARE_DATABASE_URL", "sqlite (embedded)")
    redis = os.environ.get("TOWNSQUARE_REDIS_URL", "local memory")
    media = os.environ.get("TOWNSQUARE_S3_ENDPOINT_URL", "")
    media = f"S3 at {media}" if media else "local folder"
    return f"townsquare: database={url.split('@')[-1]} cache={redis} media={media}"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database made by `townsquare migrate` once for the whole run; tests that start
    `townsquare` processes begin from copies of it (every command migrates first anyway, so
    this only saves time: about 18 s a migration). Defined here, once, so every module shares
    the one copy."""
    from tests.test_cli import Site, assert_ok

    site = Site.make(tmp_path_factory.mktemp("migrated"))
    assert_ok(site.townsquare("migrate"))
    return site.data_dir / "townsquare.sqlite3"


@pytest.fixture(scope="session")
def migrated_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """On the PostgreSQL pass, a database made by `townsquare migrate` once for the whole run:
    the template every server's and command-line site's database is copied from
    (tests/databases.py). None on SQLite."""
    from tests.databases import POSTGRES, name_of, scratch_database

    if not POSTGRES:
        yield None
        return
    from tests.test_cli import Site, assert_ok

    with scratch_database(purpose="migrated") as url:
        assert url is not None
        site = Site.make(tmp_path_factory.mktemp("migrated-pg"), TOWNSQUARE_DATABASE_URL=url)
        assert_ok(site.townsquare("migrate", timeout=300))
        yield name_of(url)
