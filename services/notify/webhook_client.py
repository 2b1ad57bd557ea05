"""The one place the HTTP client that sends webhooks is made (pooled keep-alive connections).

Every connection it opens passes the egress policy (``shared.egress``): resolved, every
address checked, connected to the checked address; the ``Host`` header, TLS SNI and the
certificate check keep the original name. Redirects are never followed (a 3xx is a failed
attempt), proxies from the environment are ignored (a proxy would resolve names where the
policy cannot check them), and no cookie is kept.

Why not httpx's own transport: in the fan-out benchmark httpx, httpcore and anyio took about
half of notify's CPU per delivery (request models, URL merging, cookies, pool bookkeeping,
cancel scopes, two socket writes per request). ``WebhookTransport`` is a small HTTP/1.1 client
on asyncio streams (``services.notify.http11``: one write per request, a pool of idle
connections per origin); the deliverer calls its ``post`` directly, and it is also the
transport of the ``httpx.AsyncClient`` this module builds, so tests and tracing see the same
connections and the same egress checks.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpcore
import httpx

from services.notify.http11 import (
    READ_CHUNK,
    BadAnswer,
    Header,
    header_value,
    read_body,
    read_head,
    request_bytes,
)
from services.notify.settings import NotifySettings
from shared.egress import EgressPolicy, EgressRefused

USER_AGENT = "mpp-notify/1.0 (Standard Webhooks)"
PRUNE_EVERY = 1024
"""Connections returned to the pools between two sweeps of every pool for expired ones."""
MIN_KEPT = 16384
"""Answers up to this size are read to their end, so the connection can be used again."""
MAX_ANSWER = 1 << 20
"""The most of an answer the httpx interface reads (webhook answers are short)."""
TARGETS_KEPT = 4096
"""Parsed URLs remembered (one per subscription URL in use)."""


def cookieless_jar() -> CookieJar:
    """A jar that keeps nothing: a cookie one receiver sets must never reach another
    subscription's receiver on the same host (webhooks are stateless requests)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


@dataclass(frozen=True)
class Target:
    """Where a URL sends a request: the origin to connect to, and what the request names."""

    scheme: str
    host: str
    """The name (IDNA) or address to resolve, check and give to TLS, without brackets."""
    port: int
    host_header: bytes
    path: bytes
    """The path with its query, as sent."""

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port


def parse_target(url: str) -> Target:
    """The target of ``url``; EgressRefused for credentials or a scheme other than http(s)."""
    parsed = httpx.URL(url)
    if parsed.userinfo:
        raise EgressRefused("URLs with credentials are refused")
    if parsed.scheme not in ("http", "https"):
        raise EgressRefused("only http and https URLs can receive webhooks")
    if not parsed.raw_host:
        raise EgressRefused("the URL needs a host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return Target(
        parsed.scheme, parsed.raw_host.decode("ascii"), port, parsed.netloc, parsed.raw_path
    )


@dataclass
class Answer:
    """A receiver's answer: status, headers, and the body (up to what was asked for)."""

    status: int
    reason: bytes
    headers: list[Header]
    body: bytes

    def header(self, name: bytes) -> str | None:
        value = header_value(self.headers, name)
        return None if value is None else value.decode("latin-1")


@dataclass(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0
    answering: bool = False
    """The current request's answer has begun (so a failure is not a stale connection)."""

    def reusable(self, now: float, expiry: float) -> bool:
        return (
            not self.writer.is_closing()
            and not self.reader.at_eof()
            and now - self.idle_since < expiry
        )

    def close(self) -> None:
        self.writer.close()


class _Stale(Exception):
    """A kept-alive connection failed before any byte of the answer: try a new one."""


class WebhookTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over connections vetted by an ``EgressPolicy``, kept alive per origin.

    Args:
        policy: where connections may go.
        verify: TLS verification (True, False or a context).
        max_connections: requests (and so connections) in flight at once.
        keepalive_expiry: how long an idle connection is kept.
        connect_timeout: resolving plus connecting (plus TLS), in seconds.
    """

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        verify: ssl.SSLContext | bool = True,
        max_connections: int = 100,
        keepalive_expiry: float = 30.0,
        connect_timeout: float | None = None,
    ) -> None:
        self._policy = policy
        self._ssl = (
            verify
            if isinstance(verify, ssl.SSLContext)
            else httpx.create_ssl_context(verify=verify, trust_env=False)
        )
        self._room = asyncio.Semaphore(max_connections)
        self._expiry = keepalive_expiry
        self._connect_timeout = connect_timeout
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._targets: OrderedDict[str, Target] = OrderedDict()
        self._kept = 0

    def target(self, url: str) -> Target:
        found = self._targets.get(url)
        if found is None:
            found = self._targets[url] = parse_target(url)
            if len(self._targets) > TARGETS_KEPT:
                self._targets.popitem(last=False)
        return found

    async def post(
        self, url: str, headers: Sequence[Header], body: bytes, *, keep_bytes: int
    ) -> Answer:
        """POST ``body`` to ``url``; the answer's body is kept up to ``keep_bytes``.

        ``headers`` come on top of Host, Content-Length and User-Agent. The caller bounds the
        whole exchange in time.
        """
        target = self.target(url)
        framing = [
            (b"host", target.host_header),
            (b"user-agent", USER_AGENT.encode()),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ]
        async with self._room:
            return await self._request(target, b"POST", framing, body, max(keep_bytes, MIN_KEPT))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """httpx's interface: the same connections for any request an ``AsyncClient`` makes."""
        target = self.target(str(request.url))
        body = await request.aread()
        timeouts = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read")
        async with self._room:
            try:
                async with asyncio.timeout(read_timeout):
                    answer = await self._request(
                        target, request.method.encode(), request.headers.raw, body, MAX_ANSWER
                    )
            except TimeoutError as error:
                raise httpx.ReadTimeout(f"no answer within {read_timeout} s") from error
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            content=answer.body,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason},
        )

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    async def _request(
        self,
        target: Target,
        method: bytes,
        headers: Sequence[Header],
        body: bytes,
        keep_bytes: int,
    ) -> Answer:
        connection = self._take_idle(target.origin)
        if connection is not None:
            try:
                return await self._exchange(connection, target, method, headers, body, keep_bytes)
            except _Stale:
                pass  # the receiver closed it meanwhile: what was sent never reached it
        connection = await self._connect(target)
        try:
            return await self._exchange(connection, target, method, headers, body, keep_bytes)
        except _Stale as stale:
            raise httpx.RemoteProtocolError(str(stale.__cause__ or stale)) from stale

    def _take_idle(self, origin: tuple[str, str, int]) -> _Connection | None:
        pool = self._idle.get(origin)
        now = time.monotonic()
        while pool:
            connection = pool.pop()
            if connection.reusable(now, self._expiry):
                return connection
            connection.close()
        return None

    async def _connect(self, target: Target) -> _Connection:
        try:
            async with asyncio.timeout(self._connect_timeout):
                return await self._open(target)
        except TimeoutError as error:
            raise httpx.ConnectTimeout(f"connecting to {target.host} took too long") from error

    async def _open(self, target: Target) -> _Connection:
        """Resolve and check every address (``EgressPolicy.resolve``), connect to one."""
        try:
            addresses = await self._policy.resolve(target.host, target.port)
        except httpcore.ConnectError as error:
            raise httpx.ConnectError(str(error)) from error
        tls = target.scheme == "https"
        failure: Exception | None = None
        for address in addresses:
            try:
                reader, writer = await asyncio.open_connection(
                    str(address),
                    target.port,
                    ssl=self._ssl if tls else None,
                    server_hostname=target.host if tls else None,
                    limit=READ_CHUNK,
                )
            except OSError as error:  # refused, unreachable, TLS (ssl.SSLError is an OSError)
                failure = httpx.ConnectError(str(error) or type(error).__name__)
                continue
            return _Connection(reader, writer)
        assert failure is not None
        raise failure

    async def _exchange(
        self,
        connection: _Connection,
        target: Target,
        method: bytes,
        headers: Sequence[Header],
        body: bytes,
        keep_bytes: int,
    ) -> Answer:
        """One request and its answer; the connection goes back to the pool only when both
        ended cleanly (a failure, a timeout or an answer cut short closes it)."""
        connection.answering = False
        try:
            connection.writer.write(request_bytes(method, target.path, headers, body))
            if connection.writer.transport.get_write_buffer_size() > READ_CHUNK:
                await connection.writer.drain()
            head = await read_head(connection.reader)
            connection.answering = True
            content, complete = await read_body(connection.reader, head, method, keep_bytes)
        except (BadAnswer, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            connection.close()
            if not connection.answering:
                raise _Stale() from error
            raise httpx.RemoteProtocolError(str(error) or type(error).__name__) from error
        except OSError as error:
            connection.close()
            if not connection.answering:
                raise _Stale() from error
            raise httpx.ReadError(str(error) or type(error).__name__) from error
        except BaseException:
            connection.close()
            raise
        if complete and head.keep_alive:
            self._keep(connection, target.origin)
        else:
            connection.close()
        return Answer(head.status, head.reason, head.headers, content)

    def _keep(self, connection: _Connection, origin: tuple[str, str, int]) -> None:
        """Back to its origin's pool; now and then the pools drop what expired (an origin no
        longer used, say a deleted subscription's, would keep its sockets otherwise)."""
        now = connection.idle_since = time.monotonic()
        self._idle.setdefault(origin, []).append(connection)
        self._kept += 1
        if self._kept % PRUNE_EVERY:
            return
        for key, pool in list(self._idle.items()):
            fresh = [c for c in pool if c.reusable(now, self._expiry)]
            for stale in set(pool) - set(fresh):
                stale.close()
            if fresh:
                self._idle[key] = fresh
            else:
                del self._idle[key]


class WebhookClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` over a ``WebhookTransport``; ``webhooks`` is that transport,
    which the deliverer uses directly on its hot path."""

    def __init__(self, transport: WebhookTransport, timeout_seconds: float) -> None:
        super().__init__(
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
            transport=transport,
            trust_env=False,
            cookies=cookieless_jar(),
        )
        self.webhooks = transport


def build_webhook_client(
    settings: NotifySettings,
    *,
    egress: EgressPolicy | None = None,
    verify: ssl.SSLContext | bool = True,
) -> WebhookClient:
    """The client every delivery goes through: checked egress, no redirects, kept alive.

    Args:
        settings: timeouts, concurrency (the pool's size) and ``WEBHOOK_ALLOWED_NETWORKS``.
        egress: the policy to apply; by default the one ``settings`` describe.
        verify: TLS verification (tests pass a context trusting their own CA).
    """
    transport = WebhookTransport(
        egress or EgressPolicy.from_settings(settings),
        verify=verify,
        max_connections=settings.webhook_concurrency,
        keepalive_expiry=30.0,
        connect_timeout=settings.webhook_timeout_seconds,
    )
    return WebhookClient(transport, settings.webhook_timeout_seconds)


async def read_excerpt(response: httpx.Response, chars: int) -> str:
    """The start of an answer's body, read no further than needed."""
    if chars <= 0:
        return ""
    read = bytearray()
    async for chunk in response.aiter_bytes():
        read += chunk
        if len(read) >= chars * 4:
            break
    return read.decode("utf-8", errors="replace")[:chars]
