"""Test settings: the real settings, with a throwaway data dir unless one is given."""

import os
import tempfile

os.environ.setdefault("TOWNSQUARE_DATA_DIR", tempfile.mkdtemp(prefix="townsquare-test-"))
os.environ.setdefault("TOWNSQUARE_BASE_URL", "http://testserver")

# The configured mode's media storage: a local S3 endpoint for the whole run (tests/s3.py).
if os.environ.get("TOWNSQUARE_TEST_S3") == "1" and not os.environ.get("TOWNSQUARE_S3_BUCKET"):
    from tests.s3 import configure_environment

    S3_SERVER = configure_environment()

from townsquare.settings import *  # noqa: E402,F403

# Tests see every outbound mail in django.core.mail.outbox.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tests start their own HTTP servers on 127.0.0.1 for link previews; the outbound client
# still refuses private and link-local addresses.
TOWNSQUARE = {**TOWNSQUARE, "OUTBOUND_ALLOW_LOOPBACK": True}  # noqa: F405

# Argon2 still (stored hashes read "argon2$argon2id$..."), at its smallest cost: the site's
# parameters take about 0.2 s a hash on these machines, and the suite signs up and logs in
# hundreds of times. tests/test_accounts_web.py checks the real parameters where it matters.
PASSWORD_HASHERS = ["tests.hashers.QuickArgon2PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
