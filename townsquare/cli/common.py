"""What every `townsquare` command shares: failing with one line, starting Django, checking the
services, migrating, reading a password, printing validation errors."""

from __future__ import annotations

import argparse
import os
import sys

EXIT_CONFIG = 2


def _fail(message: str) -> int:
    print(f"townsquare: {message}", file=sys.stderr)
    return EXIT_CONFIG


def _setup() -> None:
    """Load and validate settings, then start Django. Raises ConfigError."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    import django

    django.setup()


def _check_services() -> list[str]:
    """Connect to the database and Redis; one line per problem, naming the variable."""
    from townsquare.site.health import check_services

    return check_services()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _read_password(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise SystemExit(_fail("--password-stdin: no password on standard input"))
    return password


def _print_validation(exc: Exception) -> int:
    from django.core.exceptions import ValidationError

    assert isinstance(exc, ValidationError)
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            for message in messages:
                print(f"townsquare: {field}: {message}", file=sys.stderr)
    else:
        for message in exc.messages:
            print(f"townsquare: {message}", file=sys.stderr)
    return 1
