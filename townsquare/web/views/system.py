"""Media files on local disk, health, and the error pages."""

from __future__ import annotations

import mimetypes
import os
import re

from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import default_storage
from django.db import connection
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils._os import safe_join
from django.utils.translation import gettext as _

from townsquare.core.middleware import current_request_id
from townsquare.media.s3 import is_remote

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
MAX_RANGE = 4 * 1024 * 1024  # bytes per partial answer; players ask again for the rest


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single `Range: bytes=a-b` request, or None when the header
    asks for anything else (then the whole file is sent, as RFC 9110 allows)."""
    match = _RANGE.match(header.strip())
    if not match or not (match.group(1) or match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # the last N bytes
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    return start, min(end, start + MAX_RANGE - 1)


def media(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
    """Serve uploaded media from the local storage. Single byte ranges are answered with 206,
    which Safari needs to play video. With S3-compatible storage the bucket (or its CDN)
    serves media, and a /media/ link made before the move is sent there."""
    if is_remote(default_storage):
        try:
            target = default_storage.url(path)
        except SuspiciousOperation:
            raise Http404() from None
        return HttpResponsePermanentRedirect(target)
    location = getattr(default_storage, "location", None)
    if not location:
        raise Http404()
    try:
        full = safe_join(location, path)
        handle = open(full, "rb")  # noqa: SIM115 - FileResponse closes it
        size = os.fstat(handle.fileno()).st_size
    except (ValueError, OSError, PermissionError):
        raise Http404() from None
    content_type = mimetypes.guess_type(full)[0] or "application/octet-stream"
    wanted = _byte_range(request.headers.get("Range", ""), size)
    response: HttpResponse | FileResponse
    if wanted is None:
        response = FileResponse(handle, content_type=content_type)
    elif wanted[0] >= size or wanted[0] > wanted[1]:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        first, last = wanted
        with handle:
            handle.seek(first)
            body = handle.read(last - first + 1)
        response = HttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("That request did not make sense to us."))


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else _("You may not do that.")
    return _error(request, 403, message)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("There is nothing here, or you cannot see it."))


def error_500(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        _(
            "Something went wrong on our side. Try again in a moment; if it keeps happening, "
            "tell the site's operator the request id %(request_id)s."
        )
        % {"request_id": current_request_id()},
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _(
            "This form expired or was sent from another site. Go back, reload the page and "
            "try again."
        ),
    )


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"status": status, "message": message}, status=status)
