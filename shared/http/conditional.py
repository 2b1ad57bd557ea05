"""``HEAD`` on every ``GET`` route, and ``If-None-Match`` answered with 304, as one middleware.

FastAPI routes declare ``GET`` only, so ``HEAD`` used to be 405. Here ``HEAD`` runs the ``GET``
route and sends its status and headers without the body; a ``GET`` or ``HEAD`` whose
``If-None-Match`` matches the response's ``ETag`` (weak comparison, RFC 9110 13.1.2) becomes
``304 Not Modified``. Pure ASGI, so streaming responses (the SSE feed) are never buffered: once
the headers are out, the route is told the client has gone, which ends a stream.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.etags import parse_condition, parse_etag

_DISCONNECT: Message = {"type": "http.disconnect"}
_KEPT_ON_304 = {b"etag", b"cache-control", b"content-location", b"date", b"expires", b"vary"}


class ConditionalGetMiddleware:
    """Serves ``HEAD`` through ``GET`` routes and turns matching ``If-None-Match`` into 304."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or method not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if_none_match = _header(scope, b"if-none-match")
        if method == "GET" and if_none_match is None:
            await self.app(scope, receive, send)
            return
        exchange = _HeadersOnly(send, headers_only=method == "HEAD", if_none_match=if_none_match)
        await self.app({**scope, "method": "GET"}, exchange.receive_from(receive), exchange.send)


class _HeadersOnly:
    """One exchange whose body is dropped (HEAD) or replaced by a 304 (a matching tag)."""

    def __init__(self, send: Send, *, headers_only: bool, if_none_match: str | None) -> None:
        self._send = send
        self._headers_only = headers_only
        self._condition = parse_condition(if_none_match) if if_none_match else None
        self._done = asyncio.Event()

    async def send(self, message: Message) -> None:
        if self._done.is_set():
            return  # the body of a HEAD or 304: already answered without it
        if message["type"] != "http.response.start":
            await self._send(message)
            return
        not_modified = self._not_modified(message)
        await self._send(_as_not_modified(message) if not_modified else message)
        if not_modified or self._headers_only:
            # Complete the answer now: a stream's first chunk may be a long way off.
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})
            self._done.set()

    def receive_from(self, receive: Receive) -> Receive:
        """``receive`` that reports a disconnect once the answer is complete (ends streams)."""

        async def wrapped() -> Message:
            if self._done.is_set():
                return _DISCONNECT
            incoming = asyncio.ensure_future(receive())
            finished = asyncio.ensure_future(self._done.wait())
            await asyncio.wait({incoming, finished}, return_when=asyncio.FIRST_COMPLETED)
            if incoming.done():
                finished.cancel()
                return incoming.result()
            incoming.cancel()
            return _DISCONNECT

        return wrapped

    def _not_modified(self, start: Message) -> bool:
        if self._condition is None or start["status"] != 200:
            return False
        raw = next((v for k, v in start.get("headers", []) if k.lower() == b"etag"), None)
        etag = parse_etag(raw.decode("latin-1")) if raw else None
        return etag is not None and self._condition.matches_weakly(etag)


def _as_not_modified(start: Message) -> Message:
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() in _KEPT_ON_304]
    return {**start, "status": 304, "headers": headers}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
