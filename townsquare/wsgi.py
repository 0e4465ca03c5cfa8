"""The WSGI application that granian serves (ordinary HTTP never goes through Django's ASGI handler)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")

application = get_wsgi_application()
