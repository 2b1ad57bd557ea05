"""What the MoU service learns from other services: the agencies, from ``agency.*`` events."""

from __future__ import annotations

from shared.messaging.consumer import Consumption
from shared.messaging.topology import MOU_AGENCIES_QUEUE
from shared.projections.agencies import AGENCY_BINDINGS, AgencyDirectory


def consumers(directory: AgencyDirectory) -> list[Consumption]:
    """Keeps ``directory`` up to date from ``agency.#`` on the queue ``mou.agencies``."""
    return [Consumption(MOU_AGENCIES_QUEUE, AGENCY_BINDINGS, directory.handlers())]
