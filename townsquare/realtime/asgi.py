"""The streaming server: Mastodon's streaming API as a small ASGI application.

Served by its own granian process (ASGI interface), beside the WSGI web server: Django's
ASGI handler costs about 1.5 ms of CPU per request here, so ordinary requests never come
this way, and this app never goes through Django's request handling. It uses Django only
for the database (token checks, blocks and mutes), in a few threads off the event loop.

- GET /api/v1/streaming/health: "OK".
- Server-sent events: GET /api/v1/streaming/user, /user/notification, /public[/local|
  /remote] (?only_media=true), /hashtag[/local]?tag=, /list?list=, /direct. Each event is
  "event: NAME\\ndata: PAYLOAD\\n\\n"; a ":thump" comment every HEARTBEAT seconds.
- Websocket: /api/v1/streaming (?stream=&tag=&list= opens one stream at once). Client
  messages {"type": "subscribe"|"unsubscribe", "stream": ..., "tag"/"list": ...}; server
  messages {"stream": [...], "event": ..., "payload": "<JSON as a string>"}, or
  {"error": ..., "status": ...} for a refused subscription.

- The site's own pages: GET /live/events, server-sent events for the member of the session
  cookie, from a page of this site only (see realtime.live and realtime.pages).

The token comes from "Authorization: Bearer", the `access_token` parameter, or (websocket)
the Sec-WebSocket-Protocol header, which is then echoed back as the chosen subprotocol.
Public streams need no token (unless the operator switched the public timeline off for
visitors); a token that is given must be valid (else 401).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson

from townsquare.realtime import live, pages
from townsquare.realtime.hub import Hub, Listener, in_thread
from townsquare.realtime.streams import (
    PUBLIC_NAMES,
    SSE_PATHS,
    Stream,
    StreamError,
    owns_list,
    resolve,
)

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

PREFIX = "/api/v1/streaming"
HEARTBEAT = 15.0
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"Authorization, Content-Type"),
    (b"access-control-allow-methods", b"GET, OPTIONS"),
]


class Caller:
    """Who opened a connection: a member (with their token's scopes) or nobody."""

    def __init__(self, user_id: int | None = None, scopes: frozenset[str] = frozenset()):
        self.user_id = user_id
        self.scopes = scopes

    def allows(self, wanted: str) -> bool:
        from townsquare.api.scopes import covers

        return covers(self.scopes, wanted)


def _check_token(raw: str) -> Caller | None:
    from townsquare.api.auth import token_auth

    auth = token_auth(raw)
    if auth is None or auth.user is None:
        return None
    return Caller(auth.user.pk, auth.scopes)


def _public_open() -> bool:
    """Whether visitors may follow the public and hashtag streams without a token (the
    operator's "public_timeline" switch, as for the public timeline itself)."""
    from townsquare.site import features

    return features.enabled("public_timeline")


def _has_list(user_id: int, list_id: int) -> bool:
    return owns_list(user_id, list_id)


class StreamingApp:
    def __init__(self) -> None:
        self.hub: Hub | None = None

    # --- plumbing ----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        _setup_django()
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)

    def _ensure_hub(self) -> Hub:
        if self.hub is None:
            self.hub = Hub()
            self.hub.start()
        return self.hub

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    _setup_django()
                    self._ensure_hub()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.hub is not None:
                    await self.hub.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _authenticate(self, token: str | None) -> Caller | None:
        """The caller for a token (an anonymous Caller without one); None: a bad token."""
        if not token:
            return Caller()
        try:
            caller: Caller | None = await in_thread(_check_token, token)
        except Exception:
            logger.exception("checking a streaming token failed")
            raise
        return caller

    async def _resolve(self, caller: Caller, name: str, params: dict[str, str]) -> Stream:
        user_id = caller.user_id
        known: dict[tuple[int, int], bool] = {}
        if name == "list" and user_id is not None and (params.get("list") or "").isdigit():
            key = (user_id, int(params["list"]))
            known[key] = bool(await in_thread(_has_list, *key))
        stream = resolve(
            name,
            params,
            user_id=user_id,
            allows=caller.allows,
            owns_list=lambda uid, lid: known.get((uid, lid), False),
        )
        if user_id is None and stream.name in PUBLIC_NAMES and not await in_thread(_public_open):
            raise StreamError(401, "Missing access token")
        return stream

    # --- HTTP: health and server-sent events -------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].rstrip("/")
        method = scope["method"]
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if method == "OPTIONS":
            await _respond(send, 204, b"", b"text/plain")
            return
        if path == f"{PREFIX}/health":
            await _respond(send, 200, b"OK", b"text/plain; charset=utf-8")
            return
        if method not in ("GET", "HEAD"):
            await _error(send, 405, "Method not allowed")
            return
        if path == pages.LIVE_PATH:
            await self._page_events(scope, receive, send)
            return
        if path == PREFIX and params.get("stream"):
            name = params["stream"]
        elif path.startswith(PREFIX + "/") and path[len(PREFIX) + 1 :] in SSE_PATHS:
            name = SSE_PATHS[path[len(PREFIX) + 1 :]]
        else:
            await _error(send, 404, "Not found")
            return
        token = _bearer(scope) or params.get("access_token")
        caller = await self._authenticate(token)
        if caller is None:
            await _error(send, 401, "Invalid access token")
            return
        try:
            stream = await self._resolve(caller, name, params)
        except StreamError as exc:
            await _error(send, exc.status, exc.message)
            return
        await self._serve_events([stream], caller, receive, send)

    async def _page_events(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A signed-in page's live connection (see realtime.live), by its session cookie."""
        origin = _header(scope, b"origin")
        if not pages.allowed_origin(origin, _header(scope, b"host")):
            await _error(send, 403, "Not a page of this site")
            return
        key = pages.session_key(_header(scope, b"cookie"))
        member_id = await in_thread(pages.session_member, key) if key else None
        if member_id is None:
            await _error(send, 401, "Not signed in")
            return
        cors = (
            [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-credentials", b"true"),
                (b"vary", b"Origin"),
            ]
            if origin
            else []
        )
        streams = live.page_streams(member_id)
        await self._serve_events(streams, Caller(member_id), receive, send, cors=cors)

    async def _serve_events(
        self,
        streams: list[Stream],
        caller: Caller,
        receive: Receive,
        send: Send,
        *,
        cors: list[tuple[bytes, bytes]] = CORS,
    ) -> None:
        hub = self._ensure_hub()
        listener = Listener(caller.user_id)
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),
            *cors,
        ]
        watcher: asyncio.Task[None] | None = None
        try:
            hub.attach(listener)
            await listener.refresh_silenced(force=True)
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            for stream in streams:
                hub.subscribe(listener, stream)
            watcher = asyncio.create_task(_watch_disconnect(receive, listener))
            await send({"type": "http.response.body", "body": b":)\n\n", "more_body": True})
            while True:
                batch = await listener.next(HEARTBEAT)
                if batch is None:
                    break
                if not batch:
                    body = b":thump\n\n"
                    await listener.refresh_silenced()
                else:
                    batch = await listener.deliverable(batch)
                    if not batch:
                        continue
                    body = b"".join(
                        b"event: %s\ndata: %s\n\n"
                        % (event.event.encode(), event.payload.encode("utf-8"))
                        for _stream, event in batch
                    )
                await send({"type": "http.response.body", "body": body, "more_body": True})
        except (OSError, RuntimeError, asyncio.CancelledError):
            pass  # the client went away
        finally:
            hub.remove(listener)
            if watcher is not None:
                watcher.cancel()
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    # --- websocket -----------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        path = scope["path"].rstrip("/")
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        protocol = _header(scope, b"sec-websocket-protocol")
        token = _bearer(scope) or params.get("access_token") or protocol
        if path != PREFIX:
            await send({"type": "websocket.close", "code": 4004})
            return
        caller = await self._authenticate(token)
        if caller is None:
            await _reject(send, 401, "Invalid access token")
            return
        first: Stream | None = None
        if params.get("stream"):
            try:
                first = await self._resolve(caller, params["stream"], params)
            except StreamError as exc:
                await _reject(send, exc.status, exc.message)
                return
        accept: dict[str, Any] = {"type": "websocket.accept"}
        if protocol and token == protocol:
            accept["subprotocol"] = protocol
        await send(accept)
        hub = self._ensure_hub()
        listener = Listener(caller.user_id)
        reader: asyncio.Task[None] | None = None
        try:
            hub.attach(listener)
            await listener.refresh_silenced(force=True)
            if first is not None:
                hub.subscribe(listener, first)
            reader = asyncio.create_task(self._read_client(caller, listener, receive, send))
            while True:
                batch = await listener.next(HEARTBEAT)
                if batch is None:
                    break
                if not batch:
                    await listener.refresh_silenced()
                    continue
                for stream, event in await listener.deliverable(batch):
                    text = orjson.dumps(
                        {
                            "stream": list(stream.label),
                            "event": event.event,
                            "payload": event.payload,
                        }
                    ).decode()
                    await send({"type": "websocket.send", "text": text})
        except (OSError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            hub.remove(listener)
            if reader is not None:
                reader.cancel()
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": 1000})

    async def _read_client(
        self, caller: Caller, listener: Listener, receive: Receive, send: Send
    ) -> None:
        hub = self._ensure_hub()
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message["type"] != "websocket.receive":
                    continue
                raw = message.get("text") or message.get("bytes") or ""
                try:
                    data = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    data = None
                if not isinstance(data, dict) or data.get("type") not in (
                    "subscribe",
                    "unsubscribe",
                ):
                    continue  # Mastodon ignores what it does not understand
                params = {k: str(v) for k, v in data.items() if isinstance(v, str | int)}
                try:
                    stream = await self._resolve(caller, str(data.get("stream", "")), params)
                except StreamError as exc:
                    error = {"error": exc.message, "status": exc.status}
                    await send({"type": "websocket.send", "text": orjson.dumps(error).decode()})
                    continue
                if data["type"] == "subscribe":
                    hub.subscribe(listener, stream)
                else:
                    hub.unsubscribe(listener, stream)
        except (OSError, RuntimeError):
            pass
        finally:
            listener.close()


# --- helpers ---------------------------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            text: str = value.decode("latin-1").strip()
            return text or None
    return None


def _bearer(scope: Scope) -> str | None:
    header = _header(scope, b"authorization") or ""
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"cache-control", b"no-store"), *CORS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, message: str) -> None:
    await _respond(send, status, orjson.dumps({"error": message}), b"application/json")


async def _reject(send: Send, status: int, message: str) -> None:
    """Refuse a websocket handshake with an HTTP status where the server can (the ASGI
    "websocket.http.response" extension), else by closing it before accepting."""
    try:
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send(
            {"type": "websocket.http.response.body", "body": orjson.dumps({"error": message})}
        )
    except Exception:
        with contextlib.suppress(Exception):
            await send({"type": "websocket.close", "code": 4000 + status})


async def _watch_disconnect(receive: Receive, listener: Listener) -> None:
    with contextlib.suppress(Exception):
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
    listener.close()


_django_ready = False


def _setup_django() -> None:
    global _django_ready
    if not _django_ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
        import django

        django.setup()
        _django_ready = True


application = StreamingApp()
