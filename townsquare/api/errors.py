"""The API's errors, in Mastodon's shape: `{"error": "..."}` with the status code Mastodon uses."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext as _


class ApiError(Exception):
    def __init__(
        self, status: int, message: str | Promise, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = str(message)  # in the language of the request (a lazy text is read now)
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, _("Record not found"))


def unauthorized() -> ApiError:
    return ApiError(401, _("The access token is invalid"))


def forbidden_scope() -> ApiError:
    return ApiError(403, _("This action is outside the authorized scopes"))


def unprocessable(message: str) -> ApiError:
    return ApiError(422, _("Validation failed: %(reasons)s") % {"reasons": message})


def too_many(retry_after: int) -> ApiError:
    return ApiError(429, _("Too many requests"), headers={"Retry-After": str(retry_after)})
