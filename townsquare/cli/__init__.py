"""The `townsquare` command: serve, stream, worker, user, demo, setup, features, check, migrate,
backup, restore.

Configuration problems end with one line naming the variable and exit status 2.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from townsquare.cli.admin import (
    cmd_check,
    cmd_demo,
    cmd_features,
    cmd_ip_block_list,
    cmd_ip_block_remove,
    cmd_migrate,
    cmd_setup,
    cmd_user_create,
    cmd_user_disable_two_factor,
    cmd_user_list,
    cmd_user_set_password,
    cmd_user_set_role,
)
from townsquare.cli.backups import cmd_backup, cmd_restore
from townsquare.cli.common import EXIT_CONFIG, _check_services, _fail, _setup
from townsquare.cli.processes import WORKER_NICENESS, cmd_serve, cmd_stream, cmd_worker

# What tests and scripts call directly, besides `main`.
__all__ = ["EXIT_CONFIG", "build_parser", "cmd_check", "cmd_user_disable_two_factor", "main"]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _feature_names() -> list[str]:
    from townsquare.site.catalog import FEATURES

    return list(FEATURES)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="townsquare", description="Run and manage a Townsquare social network."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="migrate, then serve the site (with a job worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    # Measured with bench/feed_bench.py on 2 cores: one process per core, one request thread
    # each, gave the most pages/s and the lowest p99 (more threads only add GIL contention).
    serve.add_argument(
        "--workers", type=_positive, default=os.cpu_count() or 1, help="web worker processes"
    )
    serve.add_argument(
        "--threads", type=_positive, default=1, help="requests running at once per worker"
    )
    serve.add_argument("--no-worker", action="store_true", help="do not run jobs in this process")
    # Two job threads: while one waits on a database commit the other works (measured: fan-out
    # to 10,000 followers on SQLite 1.0-1.2 s with one job worker, 0.65-0.8 s with two).
    serve.add_argument(
        "--job-threads", type=_positive, default=2, help="job worker threads in this process"
    )
    serve.add_argument("--access-log", action="store_true")
    serve.add_argument(
        "--streaming-port",
        type=_positive,
        default=None,
        help="port of the streaming API server (default: --port + 1)",
    )
    serve.set_defaults(func=cmd_serve, needs_services=True)

    stream = sub.add_parser("stream", help="run the streaming API server alone")
    stream.add_argument("--host", default="127.0.0.1")
    stream.add_argument("--port", type=_positive, default=8001)
    stream.add_argument("--access-log", action="store_true")
    stream.set_defaults(func=cmd_stream, needs_services=True)

    worker = sub.add_parser("worker", help="run background jobs (a separate process)")
    worker.add_argument("--once", action="store_true", help="run what is ready, then exit")
    worker.add_argument(
        "--nice",
        type=int,
        default=WORKER_NICENESS,
        choices=range(0, 20),
        metavar="N",
        help=f"run at this CPU niceness, 0-19 (default {WORKER_NICENESS}): on a machine shared "
        "with web processes, requests get the CPU first and jobs catch up when they are done",
    )
    worker.add_argument(
        "--metrics-port",
        type=_positive,
        metavar="PORT",
        help="serve /metrics on this port (a machine with workers and no web process)",
    )
    worker.add_argument(
        "--metrics-host", default="127.0.0.1", help="address for --metrics-port (127.0.0.1)"
    )
    worker.set_defaults(func=cmd_worker, needs_services=True)

    user = sub.add_parser("user", help="create and manage members")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    create = user_sub.add_parser("create", help="create a member (email already confirmed)")
    create.add_argument("username")
    create.add_argument("--email", required=True)
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    create.add_argument("--role", choices=["admin", "moderator", "member"], default="member")
    create.set_defaults(func=cmd_user_create, needs_services=True)
    listing = user_sub.add_parser("list", help="list members")
    listing.set_defaults(func=cmd_user_list, needs_services=True)
    setpw = user_sub.add_parser("set-password", help="set a member's password")
    setpw.add_argument("username")
    setpw.add_argument("--password-stdin", action="store_true")
    setpw.set_defaults(func=cmd_user_set_password, needs_services=True)
    setrole = user_sub.add_parser("set-role", help="make a member admin, moderator or member")
    setrole.add_argument("username")
    setrole.add_argument("role", choices=["admin", "moderator", "member"])
    setrole.set_defaults(func=cmd_user_set_role, needs_services=True)
    no2fa = user_sub.add_parser(
        "disable-2fa", help="turn off a member's two-factor authentication (a lost phone)"
    )
    no2fa.add_argument("username")
    no2fa.set_defaults(func=cmd_user_disable_two_factor, needs_services=True)

    blocks = sub.add_parser(
        "ip-block", help="list or remove blocked networks (no sign-up or login from them)"
    )
    blocks_sub = blocks.add_subparsers(dest="ip_block_command", required=True, metavar="ACTION")
    blist = blocks_sub.add_parser("list", help="list blocked networks, ended ones included")
    blist.set_defaults(func=cmd_ip_block_list, needs_services=True)
    bremove = blocks_sub.add_parser("remove", help="remove a block")
    bremove.add_argument("block", help="the network (203.0.113.0/24) or the id from the list")
    bremove.set_defaults(func=cmd_ip_block_remove, needs_services=True)

    demo = sub.add_parser("demo", help="fill the site with a friendly demo community")
    demo.add_argument("--members", type=_positive, default=50)
    demo.add_argument("--posts", type=_not_negative, default=300)
    demo.add_argument("--password", default="demo-password", help="password for every demo member")
    demo.set_defaults(func=cmd_demo, needs_services=True)

    feats = sub.add_parser("features", help="list the feature switches, or switch one on or off")
    feats.add_argument("switch", nargs="?", choices=["on", "off"])
    feats.add_argument("name", nargs="?", choices=sorted(_feature_names()))
    feats.set_defaults(func=cmd_features, needs_services=True)

    setup = sub.add_parser("setup", help="print a link to the first-run setup wizard")
    setup.add_argument(
        "--skip", action="store_true", help="mark the site set up without the wizard"
    )
    setup.set_defaults(func=cmd_setup, needs_services=True)

    check = sub.add_parser("check", help="validate configuration and connectivity")
    check.set_defaults(func=cmd_check, needs_services=False)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate, needs_services=True)

    backup = sub.add_parser("backup", help="write the database and media to one archive")
    backup.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="archive to write, .tar.gz or .tar (default: DATA_DIR/backups/townsquare-DATE.tar.gz)",
    )
    backup.set_defaults(func=cmd_backup, needs_services=True)

    restore = sub.add_parser("restore", help="rebuild a site from a backup, into an empty one")
    restore.add_argument("path", type=Path, help="archive made by `townsquare backup`")
    # The restore checks the database itself: connecting first would create an SQLite file.
    restore.set_defaults(func=cmd_restore, needs_services=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "switch", None) and not args.name:
        parser.error("features: name the feature to switch")
    from townsquare.config import ConfigError

    try:
        _setup()
    except ConfigError as exc:
        return _fail(str(exc))
    if args.needs_services:
        problems = _check_services()
        if problems:
            return _fail(problems[0])
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        return 130
