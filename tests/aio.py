"""Running a coroutine from a test, whatever else runs in the main thread.

The end-to-end tests keep Playwright's event loop alive in the main thread for the whole
session, where `asyncio.run` refuses to start another: each coroutine runs on a loop of its
own in a short-lived thread instead."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
