"""What the MoU service learns from other services: the agencies, from ``agency.*`` events."""

from __future__ import annotations

from services.mou import SERVICE
from shared.messaging.consumer import EventConsumer
from shared.messaging.topology import ConsumerQueue
from shared.projections.agencies import AgencyDirectory
from shared.runtime import ServiceRuntime

AGENCIES_QUEUE = "mou.agencies"


def agency_projection(runtime: ServiceRuntime, directory: AgencyDirectory) -> EventConsumer:
    """Keeps ``directory`` up to date from ``agency.#`` on the queue ``mou.agencies``."""
    return EventConsumer(
        service=SERVICE,
        queue=ConsumerQueue(
            AGENCIES_QUEUE,
            bindings=("agency.#",),
            delivery_limit=runtime.settings.consumer_delivery_limit,
        ),
        db=runtime.storage.db,
        handlers=directory.handlers(),
    )
