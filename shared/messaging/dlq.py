"""Inspect and replay dead-lettered messages: ``python -m shared.messaging.dlq``.

    python -m shared.messaging.dlq list                      # every <queue>.dlq and its depth
    python -m shared.messaging.dlq replay mall.mous [--limit N]

Replaying moves messages from ``<queue>.dlq`` back to ``<queue>`` itself (through the default
exchange, so no other subscriber of ``mpp.events`` sees them twice), with publisher confirms,
acknowledging each dead letter only once its copy is confirmed. Consumers are idempotent, so a
replayed event that had in fact been processed is skipped. A copy keeps its publisher's AMQP
``user_id``, which RabbitMQ lets only an ``impersonator`` set: with broker identities, replay
as the operator (``OPERATOR_RABBITMQ_URL`` from ``python -m shared.messaging.provision``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import aio_pika
import aiormq.exceptions
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage

from shared.cli import OperatorParser, fail
from shared.messaging.connection import (
    BrokerStartupError,
    Nodes,
    broker_urls,
    connect_first,
    redact,
)
from shared.messaging.identity import RELAYED_FROM_HEADER
from shared.messaging.topology import CONSUMER_QUEUES, NOTIFY_SUBSCRIPTIONS_DLQ_KEY

KEPT_HEADERS = (RELAYED_FROM_HEADER,)
"""AMQP ``x-`` headers a replayed copy keeps: who published a copy notify relayed."""

KEPT_PROPERTIES = (
    "content_type",
    "message_id",
    "correlation_id",
    "timestamp",
    "type",
    "app_id",
    "user_id",
)
"""AMQP properties a replayed copy keeps; ``user_id`` names its publisher, for identity checks."""

CONNECT_DEADLINE_SECONDS = 5.0
"""An operator at a prompt wants an answer, not start-up's minute of retries."""

DEFAULT_QUEUES = (*CONSUMER_QUEUES, NOTIFY_SUBSCRIPTIONS_DLQ_KEY)
"""``notify.subscriptions.dlq`` collects the dead letters of every webhook subscription's
queue (``notify.subscription.<id>``): a replay sends each back to the queue it died in."""


async def dead_letter_depths(url: str, queues: tuple[str, ...] = DEFAULT_QUEUES) -> dict[str, int]:
    """How many messages wait in each queue's DLQ (-1 where the DLQ does not exist)."""
    depths: dict[str, int] = {}
    connection = await _connect(url)
    async with connection:
        for queue in queues:
            channel = await connection.channel()
            try:
                declared = await channel.declare_queue(f"{queue}.dlq", passive=True)
                depths[queue] = declared.declaration_result.message_count or 0
            except aio_pika.exceptions.ChannelClosed:
                depths[queue] = -1
    return depths


async def replay(url: str, queue: str, limit: int | None = None) -> int:
    """Move up to ``limit`` (default: all) messages from ``<queue>.dlq`` back to the queue
    each died in (its ``x-death`` names it; ``queue`` itself when it names none).

    Returns how many were moved.
    """
    moved = 0
    connection = await _connect(url)
    async with connection:
        channel: AbstractChannel = await connection.channel(publisher_confirms=True)
        try:
            dead_letters = await channel.declare_queue(f"{queue}.dlq", passive=True)
        except aiormq.exceptions.ChannelNotFoundEntity:
            raise LookupError(_no_such_dlq(queue, url)) from None
        # Only what is there now: a letter that fails again is back before the loop ends.
        present = dead_letters.declaration_result.message_count or 0
        limit = present if limit is None else min(limit, present)
        while moved < limit:
            message = await dead_letters.get(fail=False, no_ack=False)
            if message is None:
                break
            await channel.default_exchange.publish(
                _replayed_copy(message, dead_letters.name),
                routing_key=died_in(message.headers or {}) or queue,
            )
            await message.ack()
            moved += 1
    return moved


def _replayed_copy(message: AbstractIncomingMessage, dead_letters: str) -> aio_pika.Message:
    """A persistent copy of a dead letter: its body, ``KEPT_PROPERTIES``, and its headers but
    the broker's ``x-`` ones (save ``KEPT_HEADERS``), saying where it was replayed from."""
    headers = {
        k: v
        for k, v in (message.headers or {}).items()
        if not k.startswith("x-") or k in KEPT_HEADERS
    }
    headers["x-mpp-replayed-from"] = dead_letters
    kept: dict[str, Any] = {name: getattr(message, name) for name in KEPT_PROPERTIES}
    return aio_pika.Message(
        message.body, headers=headers, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, **kept
    )


def died_in(headers: dict[str, Any]) -> str | None:
    """The queue a dead letter last died in (``x-death`` lists the latest death first)."""
    deaths = headers.get("x-death")
    if not isinstance(deaths, list) or not deaths or not isinstance(deaths[0], dict):
        return None
    queue = deaths[0].get("queue")
    if isinstance(queue, bytes):
        queue = queue.decode()
    return queue if isinstance(queue, str) and queue else None


async def _connect(url: str) -> AbstractConnection:
    """The first node of ``url`` (comma-separated like RABBITMQ_URL) that answers."""
    nodes = Nodes(broker_urls(url))
    return await connect_first(
        nodes,
        aio_pika.connect,
        deadline_seconds=CONNECT_DEADLINE_SECONDS,
        max_wait=1.0,
        log_retries=False,
        deadline_setting=None,
    )


def default_url() -> str:
    """``OPERATOR_RABBITMQ_URL`` (provisioning's impersonator, who may replay), else
    ``RABBITMQ_URL``, else guest in the platform's vhost ``MPP_VHOST`` (default ``mpp``, as
    ``scripts/run`` provisions it): never the broker's root vhost, where no service runs."""
    vhost = os.environ.get("MPP_VHOST") or "mpp"
    return (
        os.environ.get("OPERATOR_RABBITMQ_URL")
        or os.environ.get("RABBITMQ_URL")
        or f"amqp://guest:guest@localhost:5672/{quote(vhost, safe='')}"
    )


def _vhost_of(url: str) -> str:
    return unquote(urlsplit(broker_urls(url)[0]).path[1:]) or "/"


def _no_such_dlq(queue: str, url: str) -> str:
    known = ", ".join(DEFAULT_QUEUES)
    return (
        f"there is no dead-letter queue {queue}.dlq at {redact(url)}"
        f" (a consumer queue declares its DLQ on start; the services' queues: {known})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = OperatorParser(prog="python -m shared.messaging.dlq", description=__doc__)
    parser.add_argument(
        "--url",
        default=default_url(),
        help="the broker with the platform's vhost; default OPERATOR_RABBITMQ_URL, RABBITMQ_URL,"
        " or guest on localhost in vhost MPP_VHOST (mpp); comma-separated URLs are tried in order",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OperatorParser)
    commands.add_parser("list", help="the depth of every consumer queue's DLQ")
    replay_parser = commands.add_parser("replay", help="move dead letters back to their queue")
    replay_parser.add_argument("queue", help="the consumer queue, e.g. mall.mous")
    replay_parser.add_argument("--limit", type=positive_count, default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            for queue, depth in asyncio.run(dead_letter_depths(args.url)).items():
                absent = f"absent from vhost {_vhost_of(args.url)}"
                print(f"{queue}.dlq\t{absent if depth < 0 else depth}")
            return 0
        moved = asyncio.run(replay(args.url, args.queue, args.limit))
    except (BrokerStartupError, LookupError, ValueError) as exc:
        fail(str(exc).strip("'\""), prog=parser.prog)
    print(f"moved {moved} message(s) from {args.queue}.dlq back to {args.queue}")
    return 0


def positive_count(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


if __name__ == "__main__":
    sys.exit(main())
