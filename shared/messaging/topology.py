"""The broker topology, declared once: the events exchange, consumer queues and their DLQs.

Every consumer queue is a durable quorum queue named ``<service>.<purpose>``, bound to the
event types it needs. A message it rejects, or fails to process ``delivery_limit`` times, is
dead-lettered through ``mpp.dlx`` into ``<queue>.dlq``, where an operator can inspect and
replay it (README "Operations").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.rabbit.schemas import Channel
from faststream.rabbit.schemas.queue import QuorumQueueArgs

EVENTS_EXCHANGE_NAME = "mpp.events"
DEAD_LETTER_EXCHANGE_NAME = "mpp.dlx"

EVENTS_EXCHANGE = RabbitExchange(EVENTS_EXCHANGE_NAME, type=ExchangeType.TOPIC, durable=True)
"""The one durable topic exchange; the routing key of every event is its type."""

DEAD_LETTER_EXCHANGE = RabbitExchange(
    DEAD_LETTER_EXCHANGE_NAME, type=ExchangeType.DIRECT, durable=True
)
"""Where consumer queues dead-letter to; routes by the source queue's name."""

MOU_AGENCIES_QUEUE = "mou.agencies"
"""The MoU service's agency directory, from ``agency.#``."""
MALL_AGENCIES_QUEUE = "mall.agencies"
"""The mall service's agency directory (and counter flags), from ``agency.#``."""
MALL_MOUS_QUEUE = "mall.mous"
"""The mall service's register of MoUs in force, from ``mou.signed``/``terminated``/``expired``."""
NOTIFY_SUBSCRIPTIONS_DLQ_KEY = "notify.subscriptions"
"""Every webhook subscription's queue dead-letters with this key into ``<key>.dlq``."""

CONSUMER_QUEUES = (MOU_AGENCIES_QUEUE, MALL_AGENCIES_QUEUE, MALL_MOUS_QUEUE)
"""Every ``ConsumerQueue`` of the platform, named once here for services and operator tools."""

_QUEUE_NAME = re.compile(r"^[a-z]+(\.[a-z0-9_]+)+$")


@dataclass(frozen=True)
class ConsumerQueue:
    """A consumer's durable queue on ``mpp.events`` and its dead-letter queue.

    Args:
        name: ``<service>.<purpose>``, e.g. ``mou.agencies``.
        bindings: topic patterns on ``mpp.events`` (``agency.#``, ``mou.signed``, ``#``).
        delivery_limit: failed deliveries after which a message is dead-lettered.
    """

    name: str
    bindings: tuple[str, ...]
    delivery_limit: int = 5

    def __post_init__(self) -> None:
        if not _QUEUE_NAME.match(self.name):
            raise ValueError(f"queue name {self.name!r} is not <service>.<purpose>")
        if not self.bindings:
            raise ValueError(f"queue {self.name!r} needs at least one binding")

    @property
    def dead_letter_name(self) -> str:
        return f"{self.name}.dlq"

    def queue(self) -> RabbitQueue:
        """The consumer queue: quorum, dead-lettering into its DLQ."""
        arguments: QuorumQueueArgs = {
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE_NAME,
            "x-dead-letter-routing-key": self.name,
            "x-delivery-limit": self.delivery_limit,
        }
        return RabbitQueue(
            self.name,
            queue_type=QueueType.QUORUM,
            arguments=arguments,
        )

    def dead_letter_queue(self) -> RabbitQueue:
        """The DLQ: quorum too, so nothing dead-lettered is lost on a broker restart."""
        return RabbitQueue(self.dead_letter_name, queue_type=QueueType.QUORUM, durable=True)


async def declare_events_exchange(broker: RabbitBroker) -> None:
    """Declare ``mpp.events`` (idempotent; every publisher does it on start)."""
    await broker.declare_exchange(EVENTS_EXCHANGE)


async def declare_consumer_queue(
    broker: RabbitBroker, spec: ConsumerQueue, channel: Channel
) -> None:
    """Declare ``spec``'s queue, DLQ and bindings (idempotent).

    Args:
        broker: a connected broker.
        spec: the queue, its bindings and delivery limit.
        channel: the channel its subscriber consumes on. FastStream caches a declared queue
            together with the channel it was declared on and consumes there, so declaring on
            the default channel would drop the subscriber's prefetch limit.
    """
    events = await broker.declare_exchange(EVENTS_EXCHANGE)
    dlx = await broker.declare_exchange(DEAD_LETTER_EXCHANGE)
    dlq = await broker.declare_queue(spec.dead_letter_queue())
    await dlq.bind(dlx, routing_key=spec.name)
    queue = await broker.config.declarer.declare_queue(spec.queue(), channel=channel)
    for pattern in spec.bindings:
        await queue.bind(events, routing_key=pattern)
