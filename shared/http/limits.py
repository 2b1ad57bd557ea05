"""How much a request may carry, enforced at the edge: before parsing, before authentication.

``BodyLimitMiddleware`` is the outermost middleware of every service. A request whose
``Content-Length`` exceeds ``MAX_BODY_BYTES`` is answered 413 without reading a byte of it; any
other body is read here, chunk by chunk, and answered 413 the moment it grows past the cap (a
chunked body that lies about nothing but its size), or 408 when it does not arrive within
``HTTP_BODY_TIMEOUT_SECONDS`` (a slow-body client). Only then does the app see it, replayed
from memory: at most ``MAX_BODY_BYTES`` are ever held per request.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import PROBLEM_BASE, PROBLEM_CONTENT_TYPE
from shared.logging import get_logger

DEFAULT_MAX_BODY_BYTES = 256 * 1024

log = get_logger("http")


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Caps and times every request body before the app (and its auth) runs.

    Args:
        app: the ASGI app it guards.
        max_bytes: the largest body accepted.
        timeout_seconds: how long the whole body may take to arrive.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = DEFAULT_MAX_BODY_BYTES,
        timeout_seconds: float = 15.0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send, 413, declared)
            return
        try:
            async with asyncio.timeout(self.timeout_seconds):
                body, disconnected = await self._read(receive)
        except BodyTooLarge:
            await self._refuse(scope, send, 413, None)
            return
        except TimeoutError:
            await self._refuse(scope, send, 408, None)
            return
        if disconnected:
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    async def _refuse(self, scope: Scope, send: Send, status: int, declared: int | None) -> None:
        if status == 413:
            title, slug = "Content too large", "content-too-large"
            detail = f"The request body is larger than {self.max_bytes} bytes (MAX_BODY_BYTES)."
        else:
            title, slug = "Request timeout", "request-timeout"
            detail = f"The request body did not arrive within {self.timeout_seconds:g} s."
        log.warning(
            "http.body_refused", path=scope.get("path"), status=status, declared_bytes=declared
        )
        body = json.dumps(
            {
                "type": PROBLEM_BASE + slug,
                "title": title,
                "status": status,
                "detail": detail,
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over the buffered body once, then waits on the real one."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _has_body(scope: Scope) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"transfer-encoding":
            return True
        if key == b"content-length":
            return value.strip() not in (b"", b"0")
    return False


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            text = value.strip()
            # the server (h11) refuses a malformed Content-Length; be strict anyway
            return int(text) if text.isdigit() and len(text) <= 19 else 2**63
    return None
