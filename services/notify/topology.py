"""Notify's own broker topology: the event log stream, one queue per subscription, delay tiers.

* ``notify.log``: a stream bound to ``mpp.events`` with ``#``; a log position is its offset
  plus one (so 0 still means "before the first event"). Retention by ``x-max-age`` and
  ``x-max-length-bytes``.
* ``notify.subscription.<id>``: a durable quorum queue with a single active consumer, bound
  to ``mpp.events`` with the subscription's patterns and to ``notify.redeliver`` with
  ``*.<id>``; poison and crash-looping messages dead-letter into ``notify.subscriptions.dlq``.
* ``notify.delay.<ms>``: one quorum queue per delay of the retry schedule (a tier), bound to
  ``notify.delay`` with ``<ms>.#``; its message TTL is the delay, after which the message
  dead-letters, keeping its routing key ``<ms>.<subscription id>``, through
  ``notify.redeliver`` back into its subscription's queue.
* ``notify.control``: a fanout on which replicas tell each other a subscription changed.
"""

from __future__ import annotations

from typing import Any

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from shared.messaging.topology import (
    DEAD_LETTER_EXCHANGE_NAME,
    EVENTS_EXCHANGE_NAME,
    NOTIFY_SUBSCRIPTIONS_DLQ_KEY,
)

LOG_STREAM = "notify.log"
SUBSCRIPTION_PREFIX = "notify.subscription."
SUBSCRIPTIONS_DLQ_KEY = NOTIFY_SUBSCRIPTIONS_DLQ_KEY
SUBSCRIPTIONS_DLQ = f"{SUBSCRIPTIONS_DLQ_KEY}.dlq"
DELAY_EXCHANGE = "notify.delay"
REDELIVER_EXCHANGE = "notify.redeliver"
CONTROL_EXCHANGE = "notify.control"
DELAY_PREFIX = "notify.delay."

NOW_KEY = "now"
"""The first word of the routing key that sends a message straight to its subscription."""


def subscription_queue_name(subscription_id: str) -> str:
    return SUBSCRIPTION_PREFIX + subscription_id


def tier_milliseconds(delay_seconds: float) -> int:
    return max(round(delay_seconds * 1000), 1)


def log_stream_arguments(max_age: str, max_bytes: int, segment_bytes: int) -> dict[str, Any]:
    return {
        "x-queue-type": "stream",
        "x-max-age": max_age,
        "x-max-length-bytes": max_bytes,
        "x-stream-max-segment-size-bytes": segment_bytes,
    }


def subscription_queue_arguments(delivery_limit: int) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-single-active-consumer": True,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE_NAME,
        "x-dead-letter-routing-key": SUBSCRIPTIONS_DLQ_KEY,
        "x-delivery-limit": delivery_limit,
    }


def tier_arguments(milliseconds: int) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-message-ttl": milliseconds,
        "x-dead-letter-exchange": REDELIVER_EXCHANGE,
        # At-least-once dead-lettering (3.10+): a retry is never dropped on its way back.
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


async def declare_exchanges(channel: AbstractChannel) -> dict[str, AbstractExchange]:
    """``mpp.events``, ``mpp.dlx`` and notify's own exchanges (idempotent)."""
    return {
        EVENTS_EXCHANGE_NAME: await channel.declare_exchange(
            EVENTS_EXCHANGE_NAME, ExchangeType.TOPIC, durable=True
        ),
        DEAD_LETTER_EXCHANGE_NAME: await channel.declare_exchange(
            DEAD_LETTER_EXCHANGE_NAME, ExchangeType.DIRECT, durable=True
        ),
        DELAY_EXCHANGE: await channel.declare_exchange(
            DELAY_EXCHANGE, ExchangeType.TOPIC, durable=True
        ),
        REDELIVER_EXCHANGE: await channel.declare_exchange(
            REDELIVER_EXCHANGE, ExchangeType.TOPIC, durable=True
        ),
        CONTROL_EXCHANGE: await channel.declare_exchange(
            CONTROL_EXCHANGE, ExchangeType.FANOUT, durable=True
        ),
    }


async def declare_log_stream(channel: AbstractChannel, arguments: dict[str, Any]) -> AbstractQueue:
    stream = await channel.declare_queue(LOG_STREAM, durable=True, arguments=arguments)
    await stream.bind(EVENTS_EXCHANGE_NAME, routing_key="#")
    return stream


async def declare_tiers(channel: AbstractChannel, delays: set[float]) -> list[int]:
    """One delay queue per distinct positive delay; returns their milliseconds, ascending."""
    tiers = sorted({tier_milliseconds(d) for d in delays if d > 0})
    for milliseconds in tiers:
        queue = await channel.declare_queue(
            f"{DELAY_PREFIX}{milliseconds}", durable=True, arguments=tier_arguments(milliseconds)
        )
        await queue.bind(DELAY_EXCHANGE, routing_key=f"{milliseconds}.#")
    dlq = await channel.declare_queue(
        SUBSCRIPTIONS_DLQ, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dlq.bind(DEAD_LETTER_EXCHANGE_NAME, routing_key=SUBSCRIPTIONS_DLQ_KEY)
    return tiers
