"""Small streaming clients for the live tests: server-sent events over httpx, and posting."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

WAIT = 4.0  # seconds an expected event may take


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class EventStream:
    """An open server-sent events stream; `expect()` waits for a matching event."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.url = url
        self.headers = {**(bearer(token) if token else {}), **(headers or {})}
        self.params = params
        self.events: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.stack = contextlib.AsyncExitStack()
        self.status = 0

    async def __aenter__(self) -> EventStream:
        client = await self.stack.enter_async_context(httpx.AsyncClient(timeout=10))
        response = await self.stack.enter_async_context(
            client.stream("GET", self.url, headers=self.headers, params=self.params)
        )
        self.status = response.status_code
        assert response.status_code == 200, (response.status_code, await response.aread())
        assert response.headers["content-type"].startswith("text/event-stream")
        opened = asyncio.Event()
        task = asyncio.create_task(self._read(response, opened))
        self.stack.callback(task.cancel)
        await asyncio.wait_for(opened.wait(), WAIT)  # subscribed once the first comment arrives
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stack.aclose()

    async def _read(self, response: httpx.Response, opened: asyncio.Event) -> None:
        event, data = "", []
        async for line in response.aiter_lines():
            if line.startswith(":"):
                opened.set()
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif line == "" and event:
                await self.events.put((event, "\n".join(data)))
                event, data = "", []

    async def expect(
        self, name: str, match: Callable[[Any], bool] = lambda _: True, timeout: float = WAIT
    ) -> Any:
        """The first `name` event whose payload (parsed when JSON) matches; fails otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no matching {name!r} event within {timeout} s")
            try:
                event, data = await asyncio.wait_for(self.events.get(), left)
            except TimeoutError:
                raise AssertionError(f"no matching {name!r} event within {timeout} s") from None
            payload = json.loads(data) if data.startswith(("{", "[")) else data
            if event == name and match(payload):
                return payload

    def drain(self) -> list[tuple[str, Any]]:
        """The events received so far (payloads parsed)."""
        out = []
        while not self.events.empty():
            event, data = self.events.get_nowait()
            out.append((event, json.loads(data) if data.startswith("{") else data))
        return out


async def post_status(base: str, token: str, text: str, **fields: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{base}/api/v1/statuses", json={"status": text, **fields}, headers=bearer(token)
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def api(base: str, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.request(method, f"{base}{path}", headers=bearer(token), **kwargs)
