"""Server-side timeouts uvicorn lacks: a slow-header (slowloris) connection is closed.

Uvicorn's keep-alive timer only runs between requests and is cancelled by the first byte of
the next one, so a client that trickles a header byte every few seconds holds its connection
for ever. ``HeaderTimeoutH11Protocol`` gives every request ``header_timeout`` seconds from the
connection (or the previous response) to its last header line, then closes the connection.
The body's own deadline is ``BodyLimitMiddleware``'s (408). h11 also caps the header block's
size (``h11_max_incomplete_event_size``, 16 KiB here), answering 400 beyond it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from shared.settings import ServiceSettings

MAX_HEADER_BYTES = 16 * 1024


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's headers."""

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._arm_header_deadline()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_limits(settings: ServiceSettings) -> dict[str, Any]:
    """The ``uvicorn.run``/``uvicorn.Config`` arguments that bound slow and large requests."""
    protocol = type(
        "ServiceH11Protocol",
        (HeaderTimeoutH11Protocol,),
        {"header_timeout": settings.http_header_timeout_seconds},
    )
    return {
        "http": protocol,
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }
