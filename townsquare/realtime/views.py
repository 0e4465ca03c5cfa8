"""The streaming server's health probe, answered by the web server too (some apps ask it
there before opening the stream)."""

from django.http import HttpRequest, HttpResponse


def streaming_health(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("OK", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
