"""The site's limits: the longest post, the most media a post carries, the largest image and
video upload. The environment sets them (TOWNSQUARE_MAX_POST_LENGTH, _MAX_MEDIA_PER_POST,
_MAX_UPLOAD_BYTES, _MAX_VIDEO_BYTES); the operator may change them from the dashboard
(`SiteSettings.max_*`, None: the environment's value).

Upload sizes can only be lowered from the dashboard: the environment's values also size what
the web server accepts before any page runs (settings.DATA_UPLOAD_MAX_MEMORY_SIZE and
core.middleware.RequestSizeMiddleware, fixed at start-up), so a larger value could never be
reached. A value stored when the environment allowed more is read as the environment's.

`current_limits()` is read on hot paths (the composer on every page): it costs a few dictionary
lookups, the settings row coming from `state`'s per-process copy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from townsquare.core import words
from townsquare.site import state

KB = 1024
MB = 1024 * 1024
# What the dashboard accepts (the environment's own bounds are in townsquare.config).
POST_LENGTH_BOUNDS = (1, 100_000)
MEDIA_PER_POST_BOUNDS = (1, 20)
MIN_IMAGE_BYTES = 100 * KB
MIN_VIDEO_BYTES = 1 * MB


@dataclass(frozen=True, slots=True)
class Limits:
    post_length: int  # characters
    media_per_post: int  # images (a video is always alone)
    image_bytes: int
    video_bytes: int


def environment_limits() -> Limits:
    """The limits the environment sets (the most the dashboard may allow for uploads)."""
    env = settings.TOWNSQUARE
    return Limits(
        int(env["MAX_POST_LENGTH"]),
        int(env["MAX_MEDIA_PER_POST"]),
        int(env["MAX_UPLOAD_BYTES"]),
        int(env["MAX_VIDEO_BYTES"]),
    )


def current_limits() -> Limits:
    """The limits in force: the operator's where they set one, else the environment's."""
    env = settings.TOWNSQUARE
    row = state.site_settings()
    image_cap, video_cap = int(env["MAX_UPLOAD_BYTES"]), int(env["MAX_VIDEO_BYTES"])
    return Limits(
        int(row.max_post_length or env["MAX_POST_LENGTH"]),
        int(row.max_media_per_post or env["MAX_MEDIA_PER_POST"]),
        min(int(row.max_image_bytes or image_cap), image_cap),
        min(int(row.max_video_bytes or video_cap), video_cap),
    )


def size_text(count: int) -> str:
    """A byte count for people, in the active language: "10 MB", "1.5 MB", "512 KB"."""
    if count >= MB:
        tenths = round(count / MB, 1)
        whole = tenths == int(tenths)
        number = number_format(int(tenths) if whole else tenths, decimal_pos=None if whole else 1)
        return pgettext("a file size", "%(number)s MB") % {"number": number}
    return pgettext("a file size", "%(number)s KB") % {"number": number_format(count // KB)}


# --- the dashboard's checks (registered into site.actions.FIELD_CHECKS) ---------------------


def _number(value: Any) -> int | None:
    """None for "use the environment's value" (None or an empty string), else a whole
    number, or a ValidationError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError(_("Enter a whole number."))
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError(_("Enter a whole number.")) from None
    return number


def _count(bounds: tuple[int, int], message: Callable[[int, int], str]) -> Callable[[Any], Any]:
    low, high = bounds

    def check(value: Any) -> int | None:
        number = _number(value)
        if number is not None and not low <= number <= high:
            raise ValidationError(message(low, high))
        return number

    return check


def _length_message(low: int, high: int) -> str:
    return ngettext(
        "Enter a length from %(low)s to %(high)s character.",
        "Enter a length from %(low)s to %(high)s characters.",
        high,
    ) % {"low": words.number(low), "high": words.number(high)}


def _media_message(low: int, high: int) -> str:
    return _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}


def _upload_size(low: int, env_key: str, variable: str) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        high = int(settings.TOWNSQUARE[env_key])
        number = _number(value)
        if number is None:
            return None
        if high < low:
            raise ValidationError(
                _(
                    "The server's %(variable)s is %(high)s, below the smallest size the "
                    "dashboard offers (%(low)s): leave this empty."
                )
                % {"variable": variable, "high": size_text(high), "low": size_text(low)}
            )
        if not low <= number <= high:
            raise ValidationError(
                _(
                    "Enter a size from %(low)s to %(high)s. The server's %(variable)s sets the "
                    "most; only the server's configuration can raise it."
                )
                % {"low": size_text(low), "high": size_text(high), "variable": variable}
            )
        return number

    return check


CHECKS: dict[str, Callable[[Any], Any]] = {
    "max_post_length": _count(POST_LENGTH_BOUNDS, _length_message),
    "max_media_per_post": _count(MEDIA_PER_POST_BOUNDS, _media_message),
    "max_image_bytes": _upload_size(
        MIN_IMAGE_BYTES, "MAX_UPLOAD_BYTES", "TOWNSQUARE_MAX_UPLOAD_BYTES"
    ),
    "max_video_bytes": _upload_size(
        MIN_VIDEO_BYTES, "MAX_VIDEO_BYTES", "TOWNSQUARE_MAX_VIDEO_BYTES"
    ),
}


def register() -> None:
    """Let `site.actions.update_settings` change the limits (the manage_settings permission)
    with these checks. Called once, when the app is ready."""
    from townsquare.site import actions

    for field, check in CHECKS.items():
        actions.FIELD_PERMISSIONS[field] = "manage_settings"
        actions.FIELD_CHECKS[field] = check
