"""The long-running commands: `serve` (the web processes, an in-process job worker and the
streaming server), `stream` and `worker`."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket

from townsquare.cli.common import _fail, _migrate


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


# A worker sharing a machine with web processes yields the CPU to them: requests first, and
# jobs (a surge's backlog of fan-outs) catch up behind them. bench/surge.py measured it (one run
# held 122 req/s at p99 <= 100 ms against 98, another 98 again: within this machine's noise; see
# bench/README.md), so the default rests on the principle more than on the figures.
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
    if args.metrics_port:
        from townsquare.core import metrics_server

        try:
            metrics = metrics_server.start(args.metrics_host, args.metrics_port)
        except OSError as exc:
            return _fail(
                f"--metrics-port {args.metrics_port}: cannot listen ({exc.strerror or exc})"
            )
        host = f"[{args.metrics_host}]" if ":" in args.metrics_host else args.metrics_host
        print(f"Metrics at http://{host}:{args.metrics_port}/metrics", flush=True)
    print("Townsquare job worker running (press Ctrl+C to stop)", flush=True)
    try:
        serve_forever(settings.TOWNSQUARE["WORKER_POLL_INTERVAL"])
    finally:
        if args.metrics_port:
            metrics.shutdown()
    return 0
