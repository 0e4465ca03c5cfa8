"""A password hasher for the test suite only (tests/settings.py): argon2id at its smallest
cost, so that signing up and logging in does not dominate the run."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB: argon2's minimum for one lane
    parallelism = 1
