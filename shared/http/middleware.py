"""Request ids, access logs and HTTP metrics, as one pure ASGI middleware.

Pure ASGI (not ``BaseHTTPMiddleware``) so that streaming responses such as the SSE feed are
not buffered and the correlation id's context reaches the endpoint.
"""

from __future__ import annotations

import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logging import correlation_scope, get_logger
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_QUIET_PATHS = {"/healthz", "/readyz", "/metrics"}

log = get_logger("http")


class RequestContextMiddleware:
    """Takes ``X-Request-ID`` (or makes one), binds it as the correlation id, returns it."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = _header(scope, REQUEST_ID_HEADER)
        request_id = presented if presented and _VALID_REQUEST_ID.match(presented) else None
        started = time.perf_counter()
        status_holder = {"status": 500}

        with correlation_scope(request_id) as correlation_id:

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status_holder["status"] = message["status"]
                    headers = list(message.get("headers", []))
                    headers.append((b"x-request-id", correlation_id.encode()))
                    message["headers"] = headers
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._record(scope, status_holder["status"], time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "GET")
        HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
        HTTP_LATENCY.labels(self.service, method, template).observe(seconds)
        if scope.get("path") in _QUIET_PATHS and status < 400:
            return
        log.info(
            "http.request",
            method=method,
            path=scope.get("path"),
            route=template,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return None
