"""Small pieces every API entity uses: absolute URLs and Mastodon's date formats."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.conf import settings
from django.templatetags.static import static

from townsquare.media import storage


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.BASE_URL}{url}"


def media_url(path: str) -> str | None:
    return absolute(storage.url(path)) if path else None


def static_url(name: str) -> str:
    return absolute(static(name))


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as Mastodon writes it: 2026-11-29T16:03:00.000Z."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day(moment: datetime | date | None) -> str | None:
    return moment.strftime("%Y-%m-%d") if moment is not None else None


def profile_url(username: str) -> str:
    return f"{settings.BASE_URL}/@{username}"
