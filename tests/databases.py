"""Databases for the `townsquare` processes the tests start (servers, command-line sites).

Migrating a new database takes 10-25 s of CPU, and a run starts over twenty such processes, so
each starts from a copy of one database migrated once for the whole run (the
`migrated_database` and `migrated_postgres` fixtures in tests/conftest.py): on SQLite a copy of
the file, on PostgreSQL `CREATE DATABASE ... TEMPLATE`. Every command migrates first anyway, so
a copy only saves time; tests of a first run on an empty data dir do not use one."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SERVER_URL = os.environ.get("TOWNSQUARE_DATABASE_URL", "")
POSTGRES = SERVER_URL.startswith(("postgres://", "postgresql://"))


def _admin_url() -> str:
    parts = urlsplit(SERVER_URL.replace("postgres://", "postgresql://", 1))
    return urlunsplit(parts._replace(path="/postgres"))


def _url_of(name: str) -> str:
    return urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{name}"))


@contextlib.contextmanager
def scratch_database(template: str | None = None, purpose: str = "site") -> Iterator[str | None]:
    """On the PostgreSQL pass, a new database on the test server (dropped afterwards), empty
    or a copy of `template`: its URL. On SQLite None (a site's data dir holds its file)."""
    if not POSTGRES:
        yield None
        return
    import psycopg

    base = urlsplit(SERVER_URL).path.lstrip("/") or "postgres"
    name = f"{base}_{purpose}_{secrets.token_hex(4)}"[:63]
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(_admin_url(), autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _url_of(name)
    finally:
        with psycopg.connect(_admin_url(), autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def name_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@contextlib.contextmanager
def migrated_copy(
    data_dir: Path, migrated: Path, template: str | None, purpose: str
) -> Iterator[dict[str, str]]:
    """A migrated database for a site whose data dir is `data_dir`: on SQLite a copy of the
    `migrated` file put there (nothing to set), on PostgreSQL a copy of `template` (the
    variable that points the site at it)."""
    if POSTGRES:
        assert template, "the migrated_postgres fixture gives the template on this pass"
        with scratch_database(template, purpose) as url:
            assert url is not None
            yield {"TOWNSQUARE_DATABASE_URL": url}
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated, data_dir / "townsquare.sqlite3")
    yield {}
