"""Configuration: parsing and validation in-process, and what the real command does with a bad
setting (one line naming the variable on stderr, exit status 2, never a traceback).

The subprocess helpers live in test_cli.py.
"""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_cli import Result, Site, assert_ok, assert_one_line_failure, free_port
from townsquare.config import (
    ConfigError,
    load_config,
    parse_database_url,
    parse_email_url,
    prepare_data_dir,
    secret_key_for,
)

# --- parsing, in-process -------------------------------------------------------------------


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """os.environ without any TOWNSQUARE_* setting (the suite may run with some set)."""
    for key in list(os.environ):
        if key.startswith("TOWNSQUARE_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_database_urls_parse_to_django_settings() -> None:
    sqlite = parse_database_url("sqlite:////srv/town/db.sqlite3")
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    # The documented four-slash form keeps a doubled leading slash; POSIX reads it as one.
    assert Path(str(sqlite["NAME"])).parts[1:] == ("srv", "town", "db.sqlite3")
    assert str(sqlite["NAME"]).startswith("/")
    assert parse_database_url("postgres://town:p%40ss@db.internal:5433/town") == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "town",
        "USER": "town",
        "PASSWORD": "p@ss",
        "HOST": "db.internal",
        "PORT": "5433",
    }
    assert parse_database_url("postgresql://localhost/town")["PORT"] == ""


@pytest.mark.parametrize(
    "url",
    [
        "mysql://x",
        "postgres://",
        "postgres://host",
        "postgres://host/a/b",
        "postgres://u@host:99999/town",
        "sqlite:///",
        "sqlite://relative/db.sqlite3",
        "townsquare.sqlite3",
    ],
)
def test_malformed_database_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_database_url(url)


def test_email_urls_parse() -> None:
    smtp = parse_email_url("smtp://mailer:s%3Acret@mail.example.org:587?tls=1")
    assert smtp == {
        "host": "mail.example.org",
        "port": 587,
        "user": "mailer",
        "password": "s:cret",
        "use_ssl": False,
        "use_tls": True,
    }
    smtps = parse_email_url("smtps://mail.example.org")
    assert (smtps["port"], smtps["use_ssl"], smtps["use_tls"]) == (465, True, False)
    with pytest.raises(ValueError):
        parse_email_url("http://mail.example.org")


def test_defaults_and_normalized_values(environ: pytest.MonkeyPatch) -> None:
    config = load_config()
    assert config.base_url == "http://127.0.0.1:8000"
    assert config.max_post_length == 5000
    assert config.redis_url is None and config.database_url is None
    environ.setenv("TOWNSQUARE_BASE_URL", "https://town.example.org/")
    environ.setenv("TOWNSQUARE_MAX_POST_LENGTH", "280")
    config = load_config()
    assert config.base_url == "https://town.example.org"
    assert config.hostname == "town.example.org"
    assert config.max_post_length == 280


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TOWNSQUARE_BASE_URL", "ftp://example.org"),
        ("TOWNSQUARE_BASE_URL", "example.org"),
        ("TOWNSQUARE_DATABASE_URL", "mysql://x"),
        ("TOWNSQUARE_REDIS_URL", "http://x"),
        ("TOWNSQUARE_EMAIL_URL", "http://x"),
        ("TOWNSQUARE_MAX_POST_LENGTH", "abc"),
        ("TOWNSQUARE_MAX_POST_LENGTH", "0"),
        ("TOWNSQUARE_WORKER_POLL_INTERVAL", "0"),
        ("TOWNSQUARE_DEBUG", "maybe"),
    ],
)
def test_bad_values_raise_one_line_naming_the_variable(
    environ: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    environ.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_config()
    message = str(raised.value)
    assert message.startswith(f"{variable}: ")
    assert "\n" not in message


def test_prepare_data_dir_creates_its_folders(environ: pytest.MonkeyPatch, tmp_path: Path) -> None:
    environ.setenv("TOWNSQUARE_DATA_DIR", str(tmp_path / "a" / "b"))
    data_dir = prepare_data_dir(load_config())
    assert data_dir == tmp_path / "a" / "b"
    assert all((data_dir / sub).is_dir() for sub in ("media", "mail", "static"))
    assert sorted(p.name for p in data_dir.iterdir()) == ["mail", "media", "static"]


def test_prepare_data_dir_refuses_a_path_under_a_file(
    environ: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "plain").write_text("not a folder")
    environ.setenv("TOWNSQUARE_DATA_DIR", str(tmp_path / "plain" / "data"))
    with pytest.raises(ConfigError, match="^TOWNSQUARE_DATA_DIR: .* is not writable"):
        prepare_data_dir(load_config())


def test_secret_key_for_generates_once_then_reuses(
    environ: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = load_config()
    key = secret_key_for(config, tmp_path)
    assert len(key) >= 50
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key_for(config, tmp_path) == key
    environ.setenv("TOWNSQUARE_SECRET_KEY", "from-the-environment")
    assert secret_key_for(load_config(), tmp_path) == "from-the-environment"
    assert path.read_text() == key


# --- the command with a bad setting --------------------------------------------------------


@dataclass(frozen=True)
class BadRun:
    """One command run with one bad setting; "{file}" in the value is a regular file."""

    variable: str
    value: str
    command: tuple[str, ...] = ("migrate",)

    @property
    def id(self) -> str:
        words = [part for part in self.command if not part.startswith(("-", "{"))]
        return f"{self.variable.removeprefix('TOWNSQUARE_')}={self.value} {' '.join(words)}"


UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
BAD_SETTINGS = [
    BadRun("TOWNSQUARE_DATABASE_URL", "mysql://x"),
    BadRun("TOWNSQUARE_DATABASE_URL", "postgres://"),
    BadRun("TOWNSQUARE_DATABASE_URL", "postgres://postgres@127.0.0.1:1/x"),
    BadRun("TOWNSQUARE_DATABASE_URL", "sqlite:///{file}/townsquare.sqlite3"),
    BadRun("TOWNSQUARE_REDIS_URL", UNREACHABLE_REDIS),
    BadRun("TOWNSQUARE_DATA_DIR", "{file}/data"),
    BadRun("TOWNSQUARE_DATA_DIR", "{file}"),
    BadRun("TOWNSQUARE_BASE_URL", "ftp://example.org"),
    BadRun("TOWNSQUARE_MAX_POST_LENGTH", "abc"),
]
# Every command checks the settings and the services before it does anything.
BAD_COMMANDS = [
    BadRun("TOWNSQUARE_REDIS_URL", UNREACHABLE_REDIS, command)
    for command in [
        ("serve", "--port", "{port}"),
        ("worker",),
        ("worker", "--once"),
        ("user", "list"),
        ("user", "create", "ann", "--email", "ann@example.org"),
        ("user", "set-password", "ann", "--password-stdin"),
        ("user", "set-role", "ann", "admin"),
        ("demo", "--members", "2", "--posts", "1"),
    ]
] + [BadRun("TOWNSQUARE_MAX_POST_LENGTH", "abc", ("serve", "--port", "{port}"))]
BAD_RUNS = BAD_SETTINGS + BAD_COMMANDS


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[BadRun, tuple[Site, Result]]:
    """Every BAD_RUNS command, run a few at a time (each takes a Python start-up)."""
    sites = {}
    for bad in BAD_RUNS:
        root = tmp_path_factory.mktemp("bad-setting")
        plain = root / "plain-file"
        plain.write_text("not a folder")
        sites[bad] = Site.make(root, **{bad.variable: bad.value.format(file=plain)})

    def run(bad: BadRun) -> tuple[Site, Result]:
        args = [part.format(port=free_port()) for part in bad.command]
        site = sites[bad]
        return site, site.townsquare(*args, stdin="Sup3r-secret-pw\n", timeout=30)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(BAD_RUNS, pool.map(run, BAD_RUNS), strict=True))


@pytest.mark.parametrize("bad", BAD_SETTINGS, ids=lambda bad: bad.id)
def test_a_bad_setting_ends_the_command_with_one_line_and_status_2(
    bad_runs: dict[BadRun, tuple[Site, Result]], bad: BadRun
) -> None:
    _, result = bad_runs[bad]
    line = assert_one_line_failure(result, names=bad.variable)
    assert line.startswith(f"townsquare: {bad.variable}: "), str(result)
    assert result.stdout == ""


@pytest.mark.parametrize("bad", BAD_COMMANDS, ids=lambda bad: bad.id)
def test_every_command_stops_on_a_bad_setting(
    bad_runs: dict[BadRun, tuple[Site, Result]], bad: BadRun
) -> None:
    site, result = bad_runs[bad]
    assert_one_line_failure(result, names=bad.variable)
    assert result.stdout == ""  # in particular, serve never claims to be running
    if bad.variable != "TOWNSQUARE_REDIS_URL":  # settings are read before the database is made
        assert not (site.data_dir / "townsquare.sqlite3").exists()


def test_a_data_dir_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    # /proc refuses new folders even to root, so this holds whoever runs the tests.
    result = Site.make(tmp_path, data_dir=Path("/proc/townsquare-data")).townsquare("check")
    assert "not writable" in assert_one_line_failure(result, names="TOWNSQUARE_DATA_DIR")


# --- the secret key ------------------------------------------------------------------------

PRINT_SECRET_KEY = (
    "import json\nfrom django.conf import settings\nprint(json.dumps(settings.SECRET_KEY))\n"
)


def test_secret_key_is_generated_on_first_run_and_reused(tmp_path: Path) -> None:
    site = Site.make(tmp_path)
    assert_ok(site.townsquare("check"))
    path = site.data_dir / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    assert len(key) >= 50
    before = path.stat().st_mtime_ns
    # The next run (another process) signs with the same key and leaves the file alone.
    assert site.python_json(PRINT_SECRET_KEY) == key
    assert path.read_text().strip() == key
    assert path.stat().st_mtime_ns == before


def test_secret_key_from_the_environment_overrides_the_file(tmp_path: Path) -> None:
    site = Site.make(tmp_path, TOWNSQUARE_SECRET_KEY="configured-" + "k" * 40)
    site.data_dir.mkdir()
    path = site.data_dir / "secret_key"
    path.write_text("generated-earlier")
    path.chmod(0o600)
    assert site.python_json(PRINT_SECRET_KEY) == "configured-" + "k" * 40
    assert path.read_text() == "generated-earlier"


@pytest.mark.parametrize("broken", ["empty", "directory"])
def test_an_unusable_secret_key_file_is_a_configuration_error(tmp_path: Path, broken: str) -> None:
    """Never run with an empty signing key (every page would fail), nor with a traceback."""
    site = Site.make(tmp_path)
    site.data_dir.mkdir()
    path = site.data_dir / "secret_key"
    if broken == "empty":
        path.write_text("")
        path.chmod(0o600)
    else:
        path.mkdir()
    result = site.townsquare("check")
    assert_one_line_failure(result, names="secret_key")
    assert "ok:" not in result.stdout


def test_web_workers_checking_the_data_dir_at_once_do_not_trip_each_other(tmp_path: Path) -> None:
    """Every web worker checks the data folder as it starts; they start together (a fixed
    probe file name once made one worker delete the other's probe, and fail to start)."""
    from townsquare.config import Config, prepare_data_dir

    config = Config(data_dir=tmp_path / "data")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: prepare_data_dir(config), range(200)))
    assert set(results) == {(tmp_path / "data").resolve()}
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".write-test")]


def test_behind_pgbouncer_there_are_no_server_side_cursors_and_no_startup_options(
    tmp_path: Path,
) -> None:
    """TOWNSQUARE_PGBOUNCER=true: what a transaction pooler needs (docs/deploy.md)."""
    code = (
        "import json\nfrom django.conf import settings\n"
        "db = settings.DATABASES['default']\n"
        "print(json.dumps([db.get('DISABLE_SERVER_SIDE_CURSORS', False),"
        " db['OPTIONS'].get('options'), db['OPTIONS']['prepare_threshold']]))"
    )
    url = "postgres://townsquare@127.0.0.1:6432/townsquare"
    for name in ("direct", "pooled"):
        (tmp_path / name).mkdir()
    direct = Site.make(tmp_path / "direct", TOWNSQUARE_DATABASE_URL=url)
    assert direct.python_json(code) == [False, "-c plan_cache_mode=force_generic_plan", 5]
    pooled = Site.make(
        tmp_path / "pooled", TOWNSQUARE_DATABASE_URL=url, TOWNSQUARE_PGBOUNCER="true"
    )
    assert pooled.python_json(code) == [True, None, 5]
