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

import argparse
import asyncio
import os
import sys
from urllib.parse import quote, unquote, urlsplit

import aio_pika
from aio_pika.abc import AbstractChannel

DEFAULT_QUEUES = ("mou.agencies", "mall.agencies", "mall.mous", "notify.events")


async def dead_letter_depths(url: str, queues: tuple[str, ...] = DEFAULT_QUEUES) -> dict[str, int]:
    """How many messages wait in each queue's DLQ (-1 where the DLQ does not exist)."""
    depths: dict[str, int] = {}
    connection = await aio_pika.connect(url)
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
    """Move up to ``limit`` (default: all) messages from ``<queue>.dlq`` back to ``queue``.

    Returns how many were moved.
    """
    moved = 0
    connection = await aio_pika.connect(url)
    async with connection:
        channel: AbstractChannel = await connection.channel(publisher_confirms=True)
        dead_letters = await channel.declare_queue(f"{queue}.dlq", passive=True)
        while limit is None or moved < limit:
            message = await dead_letters.get(fail=False, no_ack=False)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
            headers["x-mpp-replayed-from"] = dead_letters.name
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    headers=headers,
                    content_type=message.content_type,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    timestamp=message.timestamp,
                    type=message.type,
                    app_id=message.app_id,
                    user_id=message.user_id,  # its publisher, for identity checks
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=queue,
            )
            await message.ack()
            moved += 1
    return moved


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
    return unquote(urlsplit(url).path[1:]) or "/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.messaging.dlq",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url",
        default=default_url(),
        help="AMQP URL with the platform's vhost; default OPERATOR_RABBITMQ_URL, RABBITMQ_URL, "
        "or guest on localhost in vhost MPP_VHOST (mpp)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the depth of every consumer queue's DLQ")
    replay_parser = commands.add_parser("replay", help="move dead letters back to their queue")
    replay_parser.add_argument("queue", help="the consumer queue, e.g. mall.mous")
    replay_parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        return _command(args)
    except (OSError, aio_pika.exceptions.AMQPError) as error:
        where = urlsplit(args.url)
        print(
            f"dlq: cannot use {where.hostname}:{where.port or 5672}, vhost {_vhost_of(args.url)}:"
            f" {type(error).__name__} {error} (does the vhost exist, may the user open it?)",
            file=sys.stderr,
        )
        return 1


def _command(args: argparse.Namespace) -> int:
    if args.command == "list":
        for queue, depth in asyncio.run(dead_letter_depths(args.url)).items():
            absent = f"absent from vhost {_vhost_of(args.url)}"
            print(f"{queue}.dlq\t{absent if depth < 0 else depth}")
        return 0
    moved = asyncio.run(replay(args.url, args.queue, args.limit))
    print(f"moved {moved} message(s) from {args.queue}.dlq back to {args.queue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
