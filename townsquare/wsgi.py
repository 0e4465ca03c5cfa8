"""The WSGI application that granian serves (ordinary HTTP never goes through Django's ASGI
handler): API requests through the API's shorter middleware chain, pages through the full one
(see `townsquare.api.handler`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")

site = get_wsgi_application()  # sets Django up

from townsquare.api.handler import ApiHandler, dispatch  # noqa: E402 - needs Django set up

application = dispatch(site, ApiHandler())
