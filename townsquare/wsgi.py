"""The WSGI application that granian serves (ordinary HTTP never goes through Django's ASGI
handler): API requests through the API's shorter middleware chain, pages through the full one
(see `townsquare.api.handler`)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")

site = get_wsgi_application()  # sets Django up

from townsquare.api.handler import ApiHandler, dispatch  # noqa: E402 - needs Django set up
from townsquare.core import admission  # noqa: E402

# Admission control first: under overload, refuse quickly rather than queue (core/admission).
application = admission.wrap(dispatch(site, ApiHandler()))

# Garbage collection in a web process: what start-up loaded (Django, the URL patterns, the
# templates) lives as long as the process, so it is set aside where collections never walk it
# (gc.freeze). Every page leaves a few hundred objects in reference cycles (Django's forms,
# template contexts and request-with-messages are cyclic, and carry the page's posts with
# them), which only a collection frees, and a collection's pause grows with how many there are.
# A first-generation threshold of 3,000 new objects (Python's default is 700) keeps each pause
# to a few milliseconds and full collections rare. 50,000, tried first, made the pauses
# 50-160 ms every 5-10 s per process: single slow pages at a steady load, the surge test's
# "recovery" failures (bench/README.md, "Garbage collection pauses").
gc.freeze()
gc.set_threshold(3_000, 20, 100)
