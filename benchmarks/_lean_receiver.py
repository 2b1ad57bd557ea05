"""A webhook receiver for benchmarks: as lean as a production receiver, still verifying all.

The tests' ``WebhookReceiver`` is built to be programmed (replies, delays, outages) and parses
HTTP with h11, a pure-Python state machine, and every body twice as JSON; on a 2-core machine
where notify, the broker and the receivers share the cores, that cost is taken from the system
under test and lengthens every ordered round trip. Real receivers run elsewhere, on servers
like uvicorn (uvloop and ``httptools``, the C parser of Node's llhttp). This one does the same:
``httptools`` parses, each delivery is verified with the ``standardwebhooks`` package, and the
answer is a fixed 204 (401 when no trusted secret verifies it).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import cast

import httptools
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

ACCEPTED = b"HTTP/1.1 204 No Content\r\n\r\n"
REFUSED = b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"

Arrival = tuple[str, bool, bool, float]
"""webhook id, accepted, verified, ``time.monotonic()`` on receipt."""


@dataclass
class LeanReceiver:
    """Takes webhooks at ``url`` on 127.0.0.1 and records one ``Arrival`` per delivery."""

    path: str = "/hooks/mpp"
    received: list[Arrival] = field(default_factory=list)
    _verifiers: list[Webhook] = field(default_factory=list)
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}{self.path}"

    def trust(self, secret: str) -> None:
        """Also accept deliveries signed with ``secret``."""
        self._verifiers.append(Webhook(secret))

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    def answer(self, headers: dict[str, str], body: bytes) -> bytes:
        """Verify and record one delivery; the bytes to answer it with."""
        verified = False
        for verifier in self._verifiers:
            try:
                verifier.verify(body, headers)
            except (WebhookVerificationError, ValueError):
                continue
            verified = True
            break
        webhook_id = headers.get("webhook-id", "")
        self.received.append((webhook_id, verified, verified, time.monotonic()))
        return ACCEPTED if verified else REFUSED


class _Connection(asyncio.Protocol):
    """One keep-alive connection: ``httptools`` calls back as the request's parts arrive."""

    def __init__(self, receiver: LeanReceiver) -> None:
        self._receiver = receiver
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            assert self._transport is not None
            self._transport.write(BAD_REQUEST)
            self._transport.close()

    # httptools' callbacks
    def on_message_begin(self) -> None:
        self._headers, self._body = {}, []

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        assert self._transport is not None
        self._transport.write(self._receiver.answer(self._headers, b"".join(self._body)))
        if not self._parser.should_keep_alive():
            self._transport.close()
