"""The typed configuration: every variable is prefixed ``TOWNSQUARE_`` and documented in the README.

`load_config()` validates the environment and turns any bad value into a `ConfigError`
whose message names the variable, so the command line can print one line and exit 2.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "TOWNSQUARE_"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class ConfigError(Exception):
    """A configuration value is wrong; the message names the variable."""


class Config(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(default=Path("townsquare-data"))
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str | None = None
    database_url: str | None = None
    # The PostgreSQL URL leads to PgBouncer in transaction pooling mode: no server-side
    # cursors (they outlive a transaction) and no startup options (PgBouncer refuses them).
    pgbouncer: bool = False
    redis_url: str | None = None
    email_url: str | None = None
    email_from: str = "Townsquare <noreply@localhost>"
    site_name: str = "Townsquare"
    debug: bool = False
    max_post_length: int = Field(default=5000, ge=1, le=100_000)
    fanout_batch_size: int = Field(default=1000, ge=1, le=100_000)
    home_feed_cap: int = Field(default=800, ge=20, le=100_000)
    # Hybrid home feeds: an account with this many followers or more is merged into its
    # followers' home feeds when they read them, instead of fanned out to each; members away
    # for more than `inactive_days` get no fan-out, and their feed is rebuilt when they return.
    broadcast_followers: int = Field(default=25_000, ge=2)
    inactive_days: int = Field(default=30, ge=1, le=3650)
    worker_poll_interval: float = Field(default=0.2, gt=0, le=60)
    # Job workers: how many ready jobs a worker claims at once, and how long a worker may go
    # without a heartbeat before the jobs it holds are handed to another worker.
    job_claim_batch: int = Field(default=20, ge=1, le=1000)
    worker_heartbeat_timeout: float = Field(default=30, ge=1, le=3600)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_media_per_post: int = Field(default=4, ge=1, le=20)
    max_video_bytes: int = Field(default=40 * 1024 * 1024, ge=1024)
    max_video_seconds: int = Field(default=300, ge=1, le=36_000)
    ffmpeg_path: str = "ffmpeg"  # a name looked up on PATH, or a full path; video needs it
    link_previews: bool = True
    # Direct messages: the most people in one conversation, and how long after sending a
    # message its sender may still unsend it for everyone.
    max_conversation_members: int = Field(default=32, ge=2, le=1000)
    message_unsend_minutes: int = Field(default=60, ge=0, le=60 * 24 * 365)
    allowed_hosts: str = ""
    contact_email: str = ""
    registrations_open: bool = True
    oauth_password_grant: bool = True  # the password grant, used by command-line clients
    # Where clients open the streaming API (websocket and server-sent events); empty: the
    # streaming server beside the web server (`townsquare serve` runs it on --port + 1).
    streaming_url: str = ""
    # Admission control (townsquare.core.admission): per web process, how many requests run
    # at once (empty: `townsquare serve --threads`), how many may wait, how many of those may
    # be anonymous page views, and the waits after which requests are refused with a 503.
    admission: bool = True
    admission_concurrency: int | None = Field(default=None, ge=1, le=1000)
    admission_queue: int = Field(default=32, ge=0, le=10_000)
    admission_anonymous_queue: int = Field(default=8, ge=0, le=10_000)
    admission_target_ms: int = Field(default=50, ge=0, le=60_000)
    admission_interval_ms: int = Field(default=100, ge=0, le=60_000)
    admission_max_wait_ms: int = Field(default=2000, ge=1, le=600_000)
    admission_retry_after: int = Field(default=2, ge=1, le=3600)
    # S3-compatible object storage for media (and members' data archives), instead of the
    # data dir: on when the bucket is set. The public URL is where the bucket's objects are
    # read from (a CDN, or the bucket's own URL); empty: the endpoint's URL for the bucket.
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_public_url: str = ""
    # Operations: log lines as text or JSON (one object a line); a bearer token that lets a
    # scraper read /metrics from another address (without one, loopback only); how long the
    # oldest waiting job may wait before /health/ready answers 503 (0: never).
    log_format: Literal["text", "json"] = "text"
    metrics_token: str = ""
    ready_max_job_age: int = Field(default=300, ge=0, le=7 * 24 * 3600)

    @field_validator("data_dir", mode="before")
    @classmethod
    def _check_data_dir(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return Path("townsquare-data")  # set but empty: the default, not the current folder
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value:
            parse_database_url(value)  # raises ValueError when malformed
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("redis", "rediss", "unix") or not (
                parts.hostname or parts.path
            ):
                raise ValueError("must look like redis://host:6379/0")
        return value

    @field_validator("email_url")
    @classmethod
    def _check_email_url(cls, value: str | None) -> str | None:
        if value:
            parse_email_url(value)
        return value

    @field_validator("s3_bucket")
    @classmethod
    def _check_s3_bucket(cls, value: str) -> str:
        value = value.strip()
        if value and not _BUCKET.fullmatch(value):
            raise ValueError(
                "must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens"
            )
        return value

    @field_validator("s3_endpoint_url", "s3_public_url")
    @classmethod
    def _check_s3_url(cls, value: str) -> str:
        value = value.strip()
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("must be an http:// or https:// URL with a host")
            if parts.query or parts.fragment:
                raise ValueError("must be a plain URL, without ? or #")
        return value.rstrip("/")

    @property
    def s3(self) -> bool:
        """Media live in an S3-compatible bucket."""
        return bool(self.s3_bucket)

    @property
    def hostname(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"


def parse_database_url(url: str) -> dict[str, object]:
    """Turn ``postgres://user:pass@host:port/name`` or ``sqlite:///path`` into Django's form."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them
        path = unquote(parts.path)[1:]
        if parts.netloc or not path or path.endswith("/"):
            raise ValueError("must look like sqlite:////absolute/path/to/file.sqlite3")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parts.scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name or "/" in name:
            raise ValueError("must name a database, like postgres://user@host:5432/townsquare")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError("has an invalid port") from exc
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
        }
    raise ValueError("must start with postgres:// or sqlite:///")


def parse_email_url(url: str) -> dict[str, object]:
    """``smtp://user:pass@host:587?tls=1`` (or ``smtps://`` for implicit TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("must look like smtp://user:password@host:587")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("has an invalid port") from exc
    query = parse_qs(parts.query)
    return {
        "host": parts.hostname,
        "port": port or (465 if parts.scheme == "smtps" else 25),
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_ssl": parts.scheme == "smtps",
        "use_tls": query.get("tls", ["0"])[0] in ("1", "true", "yes"),
    }


def load_config() -> Config:
    try:
        config = Config()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{ENV_PREFIX}{field.upper()}: {message}") from None
    _check_s3(config)
    return config


def _check_s3(config: Config) -> None:
    """The S3 settings only make sense together: a bucket, and both halves of a key or none."""
    named = [
        name
        for name in ("endpoint_url", "region", "access_key_id", "secret_access_key", "public_url")
        if getattr(config, f"s3_{name}")
    ]
    if named and not config.s3_bucket:
        raise ConfigError(
            f"{ENV_PREFIX}S3_BUCKET: missing, but {ENV_PREFIX}S3_{named[0].upper()} is set "
            "(set the bucket to store media in S3, or unset the S3 settings)"
        )
    if bool(config.s3_access_key_id) != bool(config.s3_secret_access_key):
        have, lack = (
            ("ACCESS_KEY_ID", "SECRET_ACCESS_KEY")
            if config.s3_access_key_id
            else ("SECRET_ACCESS_KEY", "ACCESS_KEY_ID")
        )
        raise ConfigError(
            f"{ENV_PREFIX}S3_{lack}: missing, but {ENV_PREFIX}S3_{have} is set (set both or neither)"
        )


def prepare_data_dir(config: Config) -> Path:
    """Create the data folder (and its parts) and check that it is writable."""
    data_dir = config.data_dir.expanduser().resolve()
    try:
        for sub in ("", "media", "mail", "static"):
            (data_dir / sub).mkdir(parents=True, exist_ok=True)
        # A probe of its own: web workers start at the same moment and check the same folder.
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"{ENV_PREFIX}DATA_DIR: {data_dir} is not writable ({exc.strerror or exc})"
        ) from None
    return data_dir


def secret_key_for(config: Config, data_dir: Path) -> str:
    """The configured secret key, or one generated on first run and kept in the data dir (0600).

    The key file appears whole or not at all (written aside, then linked into place), so a
    process starting at the same moment never reads a half-written key.
    """
    if config.secret_key:
        return config.secret_key
    path = data_dir / "secret_key"
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:  # mkstemp creates it with mode 0600
                handle.write(secrets.token_urlsafe(50))
            with contextlib.suppress(FileExistsError):  # another process won: use theirs
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    try:
        key = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(
            f"{ENV_PREFIX}DATA_DIR: cannot read {path} ({exc.strerror or exc}); "
            f"delete it or set {ENV_PREFIX}SECRET_KEY"
        ) from None
    if not key:
        raise ConfigError(
            f"{ENV_PREFIX}DATA_DIR: {path} is empty; delete it or set {ENV_PREFIX}SECRET_KEY"
        )
    return key
