"""Running the streaming server: granian's ASGI interface, one worker (an asyncio loop holds
thousands of idle connections; `townsquare serve` runs it in a child process)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.process import BaseProcess

TARGET = "townsquare.realtime.asgi:application"


def run(host: str, port: int, access_log: bool = False) -> None:
    """Serve the streaming API on host:port until interrupted (blocks)."""
    from granian import Granian
    from granian.constants import Interfaces

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    Granian(
        TARGET,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=1,
        websockets=True,
        backlog=2048,
        log_access=access_log,
        workers_kill_timeout=3,
    ).serve()


def start_child(host: str, port: int, access_log: bool = False) -> BaseProcess:
    """The streaming server in a fresh ("spawn") child process, started."""
    process = multiprocessing.get_context("spawn").Process(
        target=run, args=(host, port, access_log), name="townsquare-streaming"
    )
    process.start()
    return process


def stop_child(process: BaseProcess, timeout: float = 6.0) -> None:
    """Ctrl+C for the streaming server (granian stops its worker), then force it down."""
    if process.is_alive() and process.pid is not None:
        try:
            os.kill(process.pid, signal.SIGINT)
        except ProcessLookupError:
            return
        process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join(2)
