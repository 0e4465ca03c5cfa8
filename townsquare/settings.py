"""Django settings, derived from the typed `Config` (see config.py). Nothing here reads os.environ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from townsquare.config import (
    load_config,
    parse_database_url,
    parse_email_url,
    prepare_data_dir,
    secret_key_for,
)
from townsquare.core.logs import logging_config

CONFIG = load_config()
DATA_DIR = prepare_data_dir(CONFIG)

SECRET_KEY = secret_key_for(CONFIG, DATA_DIR)
DEBUG = CONFIG.debug
BASE_URL = CONFIG.base_url
SITE_NAME = CONFIG.site_name
ALLOWED_HOSTS = [CONFIG.hostname, "127.0.0.1", "localhost", "[::1]", "testserver"] + [
    host.strip() for host in CONFIG.allowed_hosts.split(",") if host.strip()
]
CSRF_TRUSTED_ORIGINS = [CONFIG.base_url]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "townsquare.core",
    "townsquare.accounts",
    "townsquare.graph",
    "townsquare.posts",
    "townsquare.feeds",
    "townsquare.notifications",
    "townsquare.media",
    "townsquare.links",
    "townsquare.polls",
    "townsquare.search",
    "townsquare.realtime",
    "townsquare.lists",
    "townsquare.filters",
    "townsquare.moderation",
    "townsquare.conversations",
    "townsquare.site",
    "townsquare.messaging",
    "townsquare.communities",
    "townsquare.events",
    "oauth2_provider",
    "townsquare.api",
    "townsquare.web",
]

MIDDLEWARE = [
    "townsquare.core.middleware.RequestIdMiddleware",
    "townsquare.core.metrics.RequestMetricsMiddleware",  # also answers /health, /metrics
    "townsquare.moderation.audit.AuditIpMiddleware",
    "townsquare.api.cors.CorsMiddleware",
    "townsquare.core.middleware.SecurityHeadersMiddleware",
    "townsquare.core.middleware.RequestSizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "townsquare.moderation.middleware.SuspendedMemberMiddleware",
    "townsquare.accounts.middleware.LanguageMiddleware",
    "townsquare.accounts.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "townsquare.core.middleware.RateLimitedMiddleware",
]

# Requests under /api/ (bearer tokens, never cookies) skip sessions, CSRF, the cookie login,
# messages and static files: see townsquare.api.handler.
API_MIDDLEWARE = [
    "townsquare.core.middleware.RequestIdMiddleware",
    "townsquare.core.metrics.RequestMetricsMiddleware",  # also answers /health, /metrics
    "townsquare.moderation.audit.AuditIpMiddleware",
    "townsquare.api.cors.CorsMiddleware",
    "townsquare.core.middleware.SecurityHeadersMiddleware",
    "townsquare.core.middleware.RequestSizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The browser's language (a token's member's own choice is applied by api.router).
    "townsquare.accounts.middleware.LanguageMiddleware",
]

ROOT_URLCONF = "townsquare.urls"
WSGI_APPLICATION = "townsquare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "townsquare.web.context.site",
            ],
        },
    }
]

# Database: SQLite in WAL mode in the data dir unless TOWNSQUARE_DATABASE_URL says otherwise.
if CONFIG.database_url:
    _db: dict[str, object] = parse_database_url(CONFIG.database_url)
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "townsquare.sqlite3")}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, converting each statement's placeholders once (see its docstring).
    _db["ENGINE"] = "townsquare.core.backends.sqlite3"
    _db["OPTIONS"] = {
        # IMMEDIATE: writers take the lock at BEGIN, so busy_timeout applies instead of
        # a "database is locked" error halfway through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY;"
        ),
    }
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    # PostgreSQL re-planned the home feed statement on every request (planning 0.5 ms against
    # 0.2 ms to run it). Prepared statements with generic plans take that away (bench/README.md).
    # Django's backend, with a health check that needs no round trip (see its docstring).
    _db["ENGINE"] = "townsquare.core.backends.postgresql"
    _options: dict[str, object] = {"server_side_binding": True, "prepare_threshold": 5}
    if CONFIG.pgbouncer:
        # Transaction pooling: a named cursor (.iterator()) would outlive its transaction, and
        # PgBouncer refuses startup options (docs/deploy.md: set plan_cache_mode on the
        # database instead, with ALTER DATABASE).
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        _options["options"] = "-c plan_cache_mode=force_generic_plan"
    _db["OPTIONS"] = _options
# Keep connections between requests (measured on SQLite: a new connection per request, with
# its PRAGMAs, cost more than the home feed query itself).
_db["CONN_MAX_AGE"] = 600
_db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (rate limits, rendered fragments): local memory embedded, Redis when configured.
# A Redis that hangs fails a request (and /health/ready) in seconds instead of holding its
# thread: every cache operation takes well under a millisecond.
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}

if CONFIG.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.redis_url,
            "KEY_PREFIX": "townsquare",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
    CACHES["ratelimit"] = CACHES["default"]
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Rate-limit counters must be shared by every web process: in the database.
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "townsquare_ratelimit",
        },
    }
    SESSION_ENGINE = "townsquare.accounts.sessions"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["townsquare.accounts.backends.UsernameOrEmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
_secure = CONFIG.base_url.startswith("https://")
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Email: written to <data dir>/mail and the console unless TOWNSQUARE_EMAIL_URL names an SMTP server.
# An SMTP server set on the dashboard replaces both (townsquare.site.email reads it at each send).
DEFAULT_FROM_EMAIL = CONFIG.email_from
EMAIL_BACKEND = "townsquare.site.email.SiteEmailBackend"
if CONFIG.email_url:
    _mail = parse_email_url(CONFIG.email_url)
    FALLBACK_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail["host"]
    EMAIL_PORT = _mail["port"]
    EMAIL_HOST_USER = _mail["user"]
    EMAIL_HOST_PASSWORD = _mail["password"]
    EMAIL_USE_SSL = _mail["use_ssl"]
    EMAIL_USE_TLS = _mail["use_tls"]
    EMAIL_TIMEOUT = 20
else:
    FALLBACK_EMAIL_BACKEND = "townsquare.core.mail.FolderAndConsoleBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")

STATIC_URL = "/static/"
STATIC_ROOT = str(DATA_DIR / "static")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = str(DATA_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Files handed only to their owner by a view that checks (members' data archives): never
    # under MEDIA_ROOT, which is served to anyone.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(DATA_DIR / "private"),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}
if CONFIG.s3:  # media and data archives in an S3-compatible bucket; static files stay local
    from townsquare.media.s3 import storages_for

    STORAGES |= storages_for(CONFIG)
DATA_UPLOAD_MAX_MEMORY_SIZE = CONFIG.max_upload_bytes + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = CONFIG.max_upload_bytes

# Languages: each named in itself (the picker shows them so). A member's choice (User.language),
# else a visitor's (the language cookie), else the browser's, else English: see
# townsquare.accounts.languages. Catalogs live in the package (townsquare/locale).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("ar", "العربية")]
LOCALE_PATHS = [str(Path(__file__).resolve().parent / "locale")]
# Dates in the layout's own shapes, per language (townsquare/formats/<code>/formats.py).
FORMAT_MODULE_PATH = ["townsquare.formats"]
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = CONFIG.base_url.startswith("https://")
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

TOWNSQUARE: dict[str, Any] = {
    "MAX_POST_LENGTH": CONFIG.max_post_length,
    "FANOUT_BATCH_SIZE": CONFIG.fanout_batch_size,
    "HOME_FEED_CAP": CONFIG.home_feed_cap,
    "BROADCAST_FOLLOWERS": CONFIG.broadcast_followers,
    "INACTIVE_DAYS": CONFIG.inactive_days,
    "WORKER_POLL_INTERVAL": CONFIG.worker_poll_interval,
    "JOB_CLAIM_BATCH": CONFIG.job_claim_batch,
    "WORKER_HEARTBEAT_TIMEOUT": CONFIG.worker_heartbeat_timeout,
    "MAX_UPLOAD_BYTES": CONFIG.max_upload_bytes,
    "MAX_MEDIA_PER_POST": CONFIG.max_media_per_post,
    "CONTACT_EMAIL": CONFIG.contact_email,
    "REGISTRATIONS_OPEN": CONFIG.registrations_open,
    "OAUTH_PASSWORD_GRANT": CONFIG.oauth_password_grant,
    "STREAMING_URL": CONFIG.streaming_url,
    "MAX_VIDEO_BYTES": CONFIG.max_video_bytes,
    "MAX_VIDEO_SECONDS": CONFIG.max_video_seconds,
    "FFMPEG_PATH": CONFIG.ffmpeg_path,
    "LINK_PREVIEWS": CONFIG.link_previews,
    "MAX_CONVERSATION_MEMBERS": CONFIG.max_conversation_members,
    "MESSAGE_UNSEND_MINUTES": CONFIG.message_unsend_minutes,
    # Outbound HTTP (link previews) never reaches loopback or private addresses; only the
    # test settings turn this on, for servers the tests start on 127.0.0.1.
    "OUTBOUND_ALLOW_LOOPBACK": False,
    # Operations: a bearer token for /metrics from elsewhere than loopback; how long the
    # oldest waiting job may wait before /health/ready fails (0: not checked).
    "METRICS_TOKEN": CONFIG.metrics_token,
    "READY_MAX_JOB_AGE": CONFIG.ready_max_job_age,
    "ADMISSION": {
        "ENABLED": CONFIG.admission,
        "CONCURRENCY": CONFIG.admission_concurrency or 1,
        "QUEUE": CONFIG.admission_queue,
        "ANONYMOUS_QUEUE": CONFIG.admission_anonymous_queue,
        "TARGET_MS": CONFIG.admission_target_ms,
        "INTERVAL_MS": CONFIG.admission_interval_ms,
        "MAX_WAIT_MS": CONFIG.admission_max_wait_ms,
        "RETRY_AFTER": CONFIG.admission_retry_after,
    },
}

# Text lines, or JSON lines with TOWNSQUARE_LOG_FORMAT=json (see townsquare.core.logs).
LOGGING = logging_config(CONFIG.log_format)
CSRF_FAILURE_VIEW = "townsquare.web.views.system.csrf_failure"
SILENCED_SYSTEM_CHECKS = ["auth.W004"]  # usernames are unique case-insensitively (a constraint)

# OAuth2 for the client API (django-oauth-toolkit, with Mastodon's rules: see api/oauth/).
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "townsquare.api.oauth.validator.Validator",
    "SCOPES_BACKEND_CLASS": "townsquare.api.oauth.validator.Scopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 10 * 365 * 24 * 3600,  # Mastodon tokens live until revoked
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    "PKCE_REQUIRED": False,  # accepted (S256), not demanded: Mastodon apps may not send it
    "ROTATE_REFRESH_TOKEN": False,
}
