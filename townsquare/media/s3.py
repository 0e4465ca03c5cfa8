"""S3-compatible object storage (django-storages), used when TOWNSQUARE_S3_BUCKET is set.

One bucket holds two prefixes:

- `media/`: what the data dir's media folder holds otherwise (attachments, avatars, emoji,
  logos, link-preview images). Links point at TOWNSQUARE_S3_PUBLIC_URL (a CDN or the bucket's
  own URL) followed by the object's key, so the bucket (or the CDN) serves them, not Townsquare;
  the operator grants public read on `media/*` only.
- `private/`: members' data archives, never public. The download view checks who asks and
  streams the object through Townsquare, as it does from the data dir, so a link cannot be
  passed on.

Static files stay local (whitenoise). This module is imported by the settings: no models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from townsquare.config import Config

BACKEND = "storages.backends.s3.S3Storage"
MEDIA_PREFIX = "media"
PRIVATE_PREFIX = "private"


def _common(config: Config) -> dict[str, Any]:
    from botocore.config import Config as ClientConfig

    # An endpoint that does not answer fails a request in seconds, not the default minute.
    client = ClientConfig(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        signature_version="s3v4",
        s3={"addressing_style": "path" if config.s3_endpoint_url else "auto"},
    )
    options: dict[str, Any] = {
        "bucket_name": config.s3_bucket,
        "file_overwrite": False,  # a name taken gets a suffix, as in the media folder
        "default_acl": None,  # the bucket's policy decides who reads what
        "client_config": client,
    }
    if config.s3_endpoint_url:
        options["endpoint_url"] = config.s3_endpoint_url
    if config.s3_region:
        options["region_name"] = config.s3_region
    if config.s3_access_key_id:
        options["access_key"] = config.s3_access_key_id
        options["secret_key"] = config.s3_secret_access_key
    return options


def media_options(config: Config) -> dict[str, Any]:
    options = _common(config) | {"location": MEDIA_PREFIX, "querystring_auth": False}
    if config.s3_public_url:
        parts = urlsplit(config.s3_public_url)
        options["url_protocol"] = f"{parts.scheme}:"
        options["custom_domain"] = f"{parts.netloc}{parts.path}"
    return options


def private_options(config: Config) -> dict[str, Any]:
    return _common(config) | {"location": PRIVATE_PREFIX, "querystring_auth": True}


def storages_for(config: Config) -> dict[str, dict[str, Any]]:
    """The STORAGES entries that replace the local ones when the bucket is set."""
    return {
        "default": {"BACKEND": BACKEND, "OPTIONS": media_options(config)},
        "private": {"BACKEND": BACKEND, "OPTIONS": private_options(config)},
    }


def is_remote(storage: object) -> bool:
    """The storage keeps its files in a bucket rather than a local folder."""
    from storages.backends.s3 import S3Storage

    return isinstance(getattr(storage, "_wrapped", storage), S3Storage) or isinstance(
        storage, S3Storage
    )


def bucket_problem() -> str | None:
    """One line when the configured bucket cannot be reached; None when it can (or when media
    are stored locally)."""
    from django.conf import settings
    from django.core.files.storage import default_storage

    config = settings.CONFIG
    if not config.s3:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    storage: Any = default_storage
    try:
        storage.connection.meta.client.head_bucket(Bucket=config.s3_bucket)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        reason = {
            "404": "does not exist",
            "NoSuchBucket": "does not exist",
            "403": "access denied (check the key)",
        }.get(str(code), f"error {code}")
        return f"TOWNSQUARE_S3_BUCKET: cannot use bucket {config.s3_bucket}: {reason}"
    except (BotoCoreError, ValueError) as exc:
        where = config.s3_endpoint_url or "S3"
        return f"TOWNSQUARE_S3_ENDPOINT_URL: cannot reach {where} ({exc})"
    return None


def describe() -> str:
    """For `townsquare check`: where media are stored."""
    from django.conf import settings

    config = settings.CONFIG
    if not config.s3:
        return f"local folder {settings.MEDIA_ROOT}"
    where = config.s3_endpoint_url or "AWS S3"
    return f"S3 bucket {config.s3_bucket} at {where}"
