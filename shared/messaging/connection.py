"""Reaching RabbitMQ: one node or several, failing fast on mistakes and over between nodes.

``RABBITMQ_URL`` may list several comma-separated URLs, one per node of a cluster
(``amqp://u:p@rabbit1:5672/mpp,amqp://u:p@rabbit2:5672/mpp``). Neither aio-pika's
``connect_robust`` nor FastStream's ``RabbitBroker`` takes more than one URL (aio-pika issue
#141), so :class:`FailoverConnection` -- a ``RobustConnection`` that moves on to the next URL
whenever an attempt begins after a failure or a lost connection -- is handed to aio-pika through
``connect_robust``'s ``connection_class``.

Start-up tells mistakes from outages: a refused login, a missing or forbidden virtual host, a
port that does not speak AMQP or a permission refused while declaring the topology end it at
once with :class:`BrokerRefused`; an unreachable broker is retried until the deadline, then
:class:`BrokerUnreachable` says which URLs were tried, how often and for how long. Their
messages never carry a password.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import aiormq.exceptions
from aio_pika import RobustConnection
from faststream.rabbit import RabbitBroker
from yarl import URL

from shared.logging import get_logger
from shared.secrets import redact_url as redact  # the platform's one URL-redaction rule

log = get_logger(__name__)

_SCHEMES = ("amqp", "amqps")
T = TypeVar("T")


class BrokerStartupError(RuntimeError):
    """The broker cannot be used; the message is the one line an operator needs."""


class BrokerRefused(BrokerStartupError):
    """A mistake in configuration: retrying cannot help."""


class BrokerUnreachable(BrokerStartupError):
    """No node answered before the deadline."""


def broker_urls(setting: str) -> list[str]:
    """The URLs in ``RABBITMQ_URL``: one, or several separated by commas, in order of preference.

    Raises:
        ValueError: naming the entry that is not an ``amqp://`` or ``amqps://`` URL.
    """
    urls = [part.strip() for part in setting.split(",") if part.strip()]
    if not urls:
        raise ValueError("RABBITMQ_URL is empty")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES or not parts.hostname:
            raise ValueError(f"RABBITMQ_URL entry {redact(url)!r} is not an amqp:// URL")
    return urls


def refusal(exc: BaseException, url: str) -> str | None:
    """Why the broker at ``url`` refused us for good, or None when a retry may succeed."""
    parts = urlsplit(url)
    user = unquote(parts.username or "guest")
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    if isinstance(
        exc, aiormq.exceptions.AuthenticationError | aiormq.exceptions.ProbableAuthenticationError
    ):
        return (
            f"authentication refused for user {user!r} (ACCESS_REFUSED):"
            " check the user name and password"
        )
    if isinstance(exc, aiormq.exceptions.ConnectionNotAllowed) or (
        isinstance(exc, aiormq.exceptions.InvalidFrameError) and "Connection.Close" in str(exc)
    ):
        return (
            f"virtual host {vhost!r} refused (NOT_ALLOWED): it does not exist or user {user!r} "
            f"has no permissions on it (rabbitmqctl add_vhost / set_permissions)"
        )
    if isinstance(exc, aiormq.exceptions.ChannelAccessRefused):
        return f"user {user!r} lacks a permission in virtual host {vhost!r}: {_reply_text(exc)}"
    if isinstance(
        exc, aiormq.exceptions.IncompatibleProtocolError | aiormq.exceptions.ProtocolSyntaxError
    ):
        return f"{parts.hostname}:{parts.port or 5672} does not speak AMQP 0-9-1 ({exc})"
    return None


def _reply_text(exc: BaseException) -> str:
    return " ".join(str(arg) for arg in exc.args) or type(exc).__name__


@dataclass
class Nodes:
    """The broker URLs of one service and the one it uses now (shared with its connection)."""

    urls: list[str]
    current: int = 0

    @property
    def url(self) -> str:
        return self.urls[self.current]

    def advance(self) -> str:
        """Move on to the next URL (round robin) and return it."""
        self.current = (self.current + 1) % len(self.urls)
        return self.url


class _DropTransportErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("error when creating transport")


@contextmanager
def _quiet_transport_errors() -> Iterator[None]:
    """aiormq logs every refused attempt as an error; start-up reports them itself."""
    logger, quiet = logging.getLogger("aiormq.connection"), _DropTransportErrors()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


class FailoverConnection(RobustConnection):
    """A robust connection that tries the next node each time it has to (re)connect.

    aio-pika clears ``transport`` just before every connection attempt; the first attempt
    uses the node :class:`Nodes` points at, and every later one -- after a failed attempt or a
    lost connection -- moves on to the next node, so a dead node is never retried back to back
    while another could answer.
    """

    nodes: Nodes = Nodes(["amqp://guest:guest@localhost:5672/"])
    _attempts: int = 0

    def __init__(self, url: URL, **kwargs: Any) -> None:
        super().__init__(URL(self.nodes.url), **kwargs)

    @property
    def transport(self) -> Any:
        return self.__dict__.get("_transport")

    @transport.setter
    def transport(self, value: Any) -> None:
        closing = getattr(self, "_close_called", True) or getattr(self, "_close_in_progress", True)
        starting_attempt = value is None and not closing
        if starting_attempt:
            if self._attempts and len(self.nodes.urls) > 1:
                self.url = URL(self.nodes.advance())
                log.warning("broker.failing_over", url=redact(self.nodes.url))
            self._attempts += 1
        self.__dict__["_transport"] = value


def failover_broker(urls: Sequence[str], **kwargs: Any) -> tuple[RabbitBroker, Nodes]:
    """A ``RabbitBroker`` whose robust connection fails over between ``urls``.

    FastStream passes its connection arguments straight to aio-pika's ``connect_robust``; the
    ``connection_class`` added here is the one extension point both offer (a unit test breaks
    if an upgrade stops honouring it).
    """
    nodes = Nodes(list(urls))
    broker = RabbitBroker(nodes.url, **kwargs)
    connection_class = type("FailoverConnection", (FailoverConnection,), {"nodes": nodes})
    broker._connection_kwargs["connection_class"] = connection_class
    return broker, nodes


async def connect_first(
    nodes: Nodes,
    attempt: Callable[[str], Awaitable[T]],
    *,
    deadline_seconds: float,
    max_wait: float = 5.0,
    log_retries: bool = True,
    deadline_setting: str | None = "BROKER_CONNECT_TIMEOUT_SECONDS",
) -> T:
    """Run ``attempt(url)`` on each node in turn until one succeeds; return what it returned.

    ``nodes.url`` is then the node that answered.

    Args:
        nodes: the URLs, and which one to try first.
        attempt: connects to one URL; raises on failure.
        deadline_seconds: how long to keep retrying unreachable nodes.
        max_wait: the longest pause between rounds (the pause doubles from 0.5 s).
        log_retries: log a warning before each pause (operator tools keep quiet).
        deadline_setting: the setting that sets the deadline, named in the final message.

    Raises:
        BrokerRefused: at once, when a node refuses us for a reason retrying cannot fix.
        BrokerUnreachable: once ``deadline_seconds`` have passed without an answer.
    """
    with _quiet_transport_errors():
        return await _connect_first(
            nodes, attempt, deadline_seconds, max_wait, log_retries, deadline_setting
        )


async def _connect_first(
    nodes: Nodes,
    attempt: Callable[[str], Awaitable[T]],
    deadline_seconds: float,
    max_wait: float,
    log_retries: bool,
    deadline_setting: str | None,
) -> T:
    started = time.monotonic()
    rounds = 0
    while True:
        rounds += 1
        last: BaseException | None = None
        for _ in nodes.urls:
            url = nodes.url
            try:
                return await attempt(url)
            except (aiormq.exceptions.AMQPError, OSError, TimeoutError) as exc:
                cause = refusal(exc, url)
                if cause is not None:
                    raise BrokerRefused(f"RabbitMQ at {redact(url)}: {cause}") from exc
                last = exc
                nodes.advance()
        elapsed = time.monotonic() - started
        if elapsed >= deadline_seconds:
            tried = ", ".join(redact(u) for u in nodes.urls)
            setting = f" ({deadline_setting}={deadline_seconds:g})" if deadline_setting else ""
            raise BrokerUnreachable(
                f"RabbitMQ unreachable: tried {tried} {rounds} time(s) over {elapsed:.0f} s"
                f"{setting}; last error: {last}"
            ) from last
        pause = min(max_wait, 0.5 * 2 ** (rounds - 1), max(0.0, deadline_seconds - elapsed))
        if log_retries:
            log.warning(
                "broker.unreachable",
                urls=[redact(u) for u in nodes.urls],
                attempt=rounds,
                retry_in_seconds=round(pause, 1),
                error=str(last),
            )
        await asyncio.sleep(pause)


async def check_broker(setting: str, deadline_seconds: float) -> str:
    """Before serving: reach a node, log in, open the virtual host and declare ``mpp.events``.

    Returns the URL that answered; raises :class:`BrokerStartupError` (or ``ValueError`` for a
    malformed ``RABBITMQ_URL``) with the one line to show.
    """
    import aio_pika

    from shared.messaging.topology import EVENTS_EXCHANGE_NAME

    async def attempt(url: str) -> None:
        connection = await aio_pika.connect(url, timeout=10)
        async with connection:
            channel = await connection.channel()
            await channel.declare_exchange(
                EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC, durable=True
            )

    nodes = Nodes(broker_urls(setting))
    await connect_first(nodes, attempt, deadline_seconds=deadline_seconds)
    return nodes.url


def check_broker_or_exit(setting: str, deadline_seconds: float) -> None:
    """Run :func:`check_broker`; on failure log one line and exit with status 1."""
    try:
        asyncio.run(check_broker(setting, deadline_seconds))
    except (BrokerStartupError, ValueError) as exc:
        log.error("service.cannot_start", reason=str(exc))
        raise SystemExit(1) from None
