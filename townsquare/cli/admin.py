"""The operator's commands: `user`, `ip-block`, `demo`, `setup`, `features`, `check` and
`migrate`."""

from __future__ import annotations

import argparse
import sys

from townsquare.cli.common import (
    EXIT_CONFIG,
    _migrate,
    _print_validation,
    _read_password,
)


def cmd_user_create(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from townsquare.accounts import actions

    _migrate()
    try:
        user = actions.create_user(
            args.username,
            args.email,
            _read_password(args),
            role=args.role,
            email_confirmed=True,
        )
    except ValidationError as exc:
        return _print_validation(exc)
    print(f"Created {user.role} @{user.username} <{user.email}>")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from townsquare.accounts.models import User

    _migrate()
    rows = User.objects.order_by("username").values_list(
        "username", "email", "role", "email_confirmed", "is_active"
    )
    print(f"{'username':30} {'email':40} {'role':10} confirmed active")
    for username, email, role, confirmed, active in rows:
        print(
            f"{username:30} {email:40} {role:10} {'yes' if confirmed else 'no':9} {'yes' if active else 'no'}"
        )
    return 0


def _no_member(username: str) -> int:
    print(f"townsquare: no member named {username}", file=sys.stderr)
    return 1


def cmd_user_set_password(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from townsquare.accounts import actions
    from townsquare.accounts.models import User

    _migrate()
    user = User.objects.filter(username__iexact=args.username).first()
    if user is None:
        return _no_member(args.username)
    password = _read_password(args)
    if password is None:
        import getpass

        password = getpass.getpass(f"New password for @{user.username}: ")
    try:
        actions.set_password(user, password)
        actions.end_sessions(user)
    except ValidationError as exc:
        return _print_validation(exc)
    print(f"Password changed for @{user.username}; their sessions were ended.")
    return 0


def cmd_user_set_role(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from townsquare.accounts import actions
    from townsquare.accounts.models import User

    _migrate()
    user = User.objects.filter(username__iexact=args.username).first()
    if user is None:
        return _no_member(args.username)
    try:
        actions.set_role(user, args.role)
    except ValidationError as exc:
        return _print_validation(exc)
    print(f"@{user.username} is now {args.role}")
    return 0


def cmd_user_disable_two_factor(args: argparse.Namespace) -> int:
    from townsquare.accounts import two_factor
    from townsquare.accounts.models import User

    _migrate()
    user = User.objects.filter(username__iexact=args.username).first()
    if user is None:
        return _no_member(args.username)
    if two_factor.remove(user):
        print(f"Two-factor authentication is off for @{user.username}; their password logs in.")
    else:
        print(f"@{user.username} had no two-factor authentication.")
    return 0


def cmd_ip_block_list(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from townsquare.site import ip_blocks

    _migrate()
    now = timezone.now()
    print(f"{'id':>8} {'network':45} {'until':22} note")
    for block in ip_blocks.all_blocks():
        if block.expires_at is None:
            until = "until removed"
        else:
            until = block.expires_at.strftime("%Y-%m-%d %H:%M")
            if block.expires_at <= now:
                until += " (ended)"
        print(f"{block.pk:>8} {block.network:45} {until:22} {block.note}")
    return 0


def cmd_ip_block_remove(args: argparse.Namespace) -> int:
    """Lift a block (by network or id): the way back in for staff blocked from logging in."""
    from townsquare.site import ip_blocks

    _migrate()
    block = ip_blocks.find(args.block)
    if block is None:
        print(f"townsquare: no blocked network {args.block}", file=sys.stderr)
        return 1
    ip_blocks.remove_block(None, block.pk)
    print(f"{block.network} is no longer blocked: sign-ups and logins from it work again.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from townsquare.demo import fill_demo

    _migrate()
    summary = fill_demo(members=args.members, posts=args.posts, password=args.password)
    print(summary)
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Print a fresh one-time link to the setup wizard, or (--skip) mark the site set up for
    operators who configure it from the command line."""
    from django.conf import settings

    from townsquare.site.actions import finish_setup_from_command_line, setup_needed, start_setup

    _migrate()
    if args.skip:
        finish_setup_from_command_line()
        print("The site is set up: sign-ups follow its registration settings.")
        return 0
    if not setup_needed():
        print("The site is already set up: log in as an admin to change its settings.")
        return 0
    print(f"Set up your site (this link works once): {settings.BASE_URL}/setup/{start_setup()}")
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    from townsquare.site import actions, features

    _migrate()
    if args.switch:
        actions.set_feature(args.name, enabled=args.switch == "on")
    for name, on in features.switches().items():
        print(f"{name:<16} {'on' if on else 'off':<4} {features.FEATURES[name]}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from townsquare.site.health import check

    health = check()  # the staff dashboard shows the same report
    for note in health.notes:
        print(f"note: {note}")
    print(f"data dir:  {health.data_dir}")
    print(f"base URL:  {health.base_url}")
    print(f"database:  {health.database}")
    print(f"redis:     {'configured' if health.redis_configured else 'not used (local memory)'}")
    print(f"email:     {'SMTP' if health.email_smtp else 'written to ' + health.email_folder}")
    print(f"media:     {health.media_storage}")
    video = health.video_limit
    print(f"video:     {'transcoded with ffmpeg' if video is None else 'limited: ' + video}")
    for problem in health.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if health.problems:
        return EXIT_CONFIG
    print("ok: configuration and services look right")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _migrate()
    print("Database is up to date.")
    return 0
