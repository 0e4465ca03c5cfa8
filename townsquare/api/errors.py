"""The API's errors, in Mastodon's shape: `{"error": "..."}` with the status code Mastodon uses."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, "Record not found")


def unauthorized() -> ApiError:
    return ApiError(401, "The access token is invalid")


def forbidden_scope() -> ApiError:
    return ApiError(403, "This action is outside the authorized scopes")


def unprocessable(message: str) -> ApiError:
    return ApiError(422, f"Validation failed: {message}")


def too_many(retry_after: int) -> ApiError:
    return ApiError(429, "Too many requests", headers={"Retry-After": str(retry_after)})
