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
# (gc.freeze), and collections run after 50,000 new objects instead of 700. With the entity
# caches' thousands of dictionaries, full collections otherwise stalled a request now and
# then for up to 100 ms: API home timeline at concurrency 8 on SQLite, p99 52-56 ms before,
# 17-18 ms after, the same requests/s (bench/README.md).
gc.freeze()
gc.set_threshold(50_000, 20, 100)
