"""Media files on local disk, health, and the error pages."""

from __future__ import annotations

import mimetypes

from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils._os import safe_join

from townsquare.core.middleware import current_request_id


def media(request: HttpRequest, path: str) -> FileResponse:
    """Serve uploaded media from the local storage (S3-compatible storage serves its own)."""
    location = getattr(default_storage, "location", None)
    if not location:
        raise Http404()
    try:
        full = safe_join(location, path)
        handle = open(full, "rb")  # noqa: SIM115 - FileResponse closes it
    except (ValueError, OSError, PermissionError):
        raise Http404() from None
    content_type = mimetypes.guess_type(full)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "That request did not make sense to us.")


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You may not do that."
    return _error(request, 403, message)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "There is nothing here, or you cannot see it.")


def error_500(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        "Something went wrong on our side. Try again in a moment; if it keeps happening, "
        f"tell the site's operator the request id {current_request_id()}.",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        "This form expired or was sent from another site. Go back, reload the page and try again.",
    )


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"status": status, "message": message}, status=status)
