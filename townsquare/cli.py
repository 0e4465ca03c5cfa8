"""The `townsquare` command: serve, stream, worker, user, demo, setup, features, check, migrate,
backup, restore.

Configuration problems end with one line naming the variable and exit status 2.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

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


def _port_problem(host: str, port: int) -> str | None:
    try:
        probe = socket.create_server((host, port))
    except OSError as exc:
        return f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc})"
    probe.close()
    return None


def _setup_link(args: argparse.Namespace) -> str:
    """On a site nobody has set up yet, a fresh one-time link to the setup wizard (sign-ups
    stay closed until the wizard is done); "" otherwise."""
    from django.conf import settings

    from townsquare.site.actions import setup_needed, start_setup

    if not setup_needed():
        return ""
    token = start_setup()
    base = settings.BASE_URL
    if base == "http://127.0.0.1:8000" and (args.host, args.port) != ("127.0.0.1", 8000):
        host = f"[{args.host}]" if ":" in args.host else args.host
        base = f"http://{host}:{args.port}"
    return f"{base}/setup/{token}"


def cmd_serve(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.db import connections
    from granian import Granian
    from granian.constants import Interfaces

    from townsquare.core.worker import Heartbeat, Janitor, WorkerThread

    problem = _port_problem(args.host, args.port)
    if problem:
        return _fail(problem)
    streaming_port = args.streaming_port or args.port + 1
    streaming_problem = _port_problem(args.host, streaming_port)
    if streaming_problem and args.streaming_port:
        return _fail(streaming_problem.replace("--port", "--streaming-port"))
    # Web workers start fresh ("spawn") rather than as forks of this process, which runs the
    # job worker thread: a fork could inherit its SQLite connection mid-transaction.
    multiprocessing.set_start_method("spawn", force=True)
    _migrate()
    from townsquare.core import metrics

    metrics.clean_dir()  # the metrics files of processes of an earlier run
    setup_link = _setup_link(args)
    background: list[WorkerThread | Janitor | Heartbeat] = []
    if not args.no_worker:
        interval = settings.TOWNSQUARE["WORKER_POLL_INTERVAL"]
        background = [
            Heartbeat(),
            Janitor(),
            *(WorkerThread(interval) for _ in range(args.job_threads)),
        ]
        for thread in background:
            thread.start()
    connections.close_all()
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"Townsquare is running at http://{host}:{args.port}/  (press Ctrl+C to stop)", flush=True
    )
    if setup_link:
        print(f"Set up your site (this link works once): {setup_link}", flush=True)
    if not background:
        print("No job worker in this process: run `townsquare worker` beside it.", flush=True)
    streaming = None
    if streaming_problem:
        print(f"No streaming API: {streaming_problem} (choose --streaming-port)", flush=True)
    else:
        from townsquare.realtime.server import start_child

        streaming = start_child(args.host, streaming_port, args.access_log)
        print(f"Streaming API at ws://{host}:{streaming_port}/api/v1/streaming", flush=True)
    # Admission control (townsquare.core.admission): --threads requests run Django at once
    # per process; granian gets enough threads more that the requests waiting for a turn
    # wait in the gate (which sees them, orders them and refuses the excess with a 503)
    # rather than inside granian, out of sight.
    threads = args.threads
    gate = settings.TOWNSQUARE["ADMISSION"]
    if gate["ENABLED"]:
        from townsquare.core.admission import threads_for

        os.environ.setdefault("TOWNSQUARE_ADMISSION_CONCURRENCY", str(args.threads))
        concurrency = int(os.environ["TOWNSQUARE_ADMISSION_CONCURRENCY"])
        threads = threads_for(concurrency, gate["QUEUE"])
    server = Granian(
        "townsquare.wsgi:application",
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=threads,
        backlog=2048,
        log_access=args.access_log,
        # A web worker that does not stop within this many seconds of Ctrl+C is killed,
        # so the server never hangs on the way out.
        workers_kill_timeout=5,
    )
    try:
        server.serve()
    except RuntimeError as exc:  # granian reports bind and start-up failures this way
        return _fail(f"the web server stopped: {exc}")
    finally:
        if streaming is not None:
            from townsquare.realtime.server import stop_child

            stop_child(streaming)
        for thread in background:
            thread.stop()
    return 0


def cmd_stream(args: argparse.Namespace) -> int:
    from townsquare.realtime.server import run

    problem = _port_problem(args.host, args.port)
    if problem:
        return _fail(problem)
    _migrate()
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Townsquare streaming API at ws://{host}:{args.port}/api/v1/streaming", flush=True)
    try:
        run(args.host, args.port, args.access_log)
    except RuntimeError as exc:
        return _fail(f"the streaming server stopped: {exc}")
    return 0


# A worker sharing a machine with web processes yields the CPU to them (measured by
# bench/surge.py: the site held 25 % more requests at p99 <= 100 ms, and came back within 10 s
# of a 10x surge, while the job backlog the surge left drained behind the requests).
WORKER_NICENESS = 10


def cmd_worker(args: argparse.Namespace) -> int:
    from django.conf import settings

    from townsquare.core.jobs import requeue_stalled_jobs, run_pending_jobs
    from townsquare.core.worker import Heartbeat, serve_forever

    _migrate()
    if args.nice:
        os.nice(args.nice)
    if args.once:
        heartbeat = Heartbeat()  # so that no other worker takes these jobs for abandoned
        heartbeat.start()
        try:
            requeue_stalled_jobs()
            ran = run_pending_jobs(raise_failures=False)
        finally:
            heartbeat.stop()
        print(f"Ran {ran} jobs.")
        return 0
    print("Townsquare job worker running (press Ctrl+C to stop)", flush=True)
    serve_forever(settings.TOWNSQUARE["WORKER_POLL_INTERVAL"])
    return 0


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


def cmd_backup(args: argparse.Namespace) -> int:
    from townsquare.site.backup import BackupError, create_backup, human_size

    try:
        made = create_backup(args.path)
    except BackupError as exc:
        return _fail(str(exc))
    print(
        f"Backed up {made.members} members, {made.posts} posts and {made.media_files} media "
        f"files to {made.path} ({human_size(made.size)})"
    )
    from django.conf import settings

    if settings.CONFIG.s3:
        print(
            f"Media stay in the S3 bucket {settings.CONFIG.s3_bucket}, not in the archive: "
            "back the bucket up on its own (versioning or replication)."
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from townsquare.site.backup import BackupError, restore_backup

    try:
        done = restore_backup(args.path)
    except BackupError as exc:
        return _fail(str(exc))
    print(
        f"Restored {done.members} members, {done.posts} posts and {done.media_files} media "
        f"files from {args.path}"
    )
    if done.migrations_applied:
        print(f"Applied {done.migrations_applied} migrations made since the backup.")
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
