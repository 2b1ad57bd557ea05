"""Wires the agency service together: settings, store, broker -> container -> app."""

from __future__ import annotations

from functools import partial

from faststream.rabbit import RabbitBroker

from services.agency import SERVICE, commands, handlers
from services.agency.api import router
from services.agency.container import AgencyContainer
from services.agency.repository import COLLECTION, AgencyRepository
from shared.bus import CommandBus
from shared.http.app import app_builder
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from shared.storage import Storage


def bootstrap(
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
    broker: RabbitBroker | None = None,
) -> AgencyContainer:
    """The agency service's parts, nothing started (arguments: ``shared.http.app.app_builder``)."""
    runtime = ServiceRuntime.create(SERVICE, settings or ServiceSettings(), storage, broker)
    agencies = AgencyRepository(runtime.aggregate_store(COLLECTION))
    runtime.set_up_indexes(agencies)
    runtime.document_publications(SERVICE)
    # A command that only calls its domain method (``apply``) on one stored aggregate:
    change = partial(handlers.change_agency, agencies=agencies)
    bus = CommandBus(
        {
            commands.RegisterAgency: partial(handlers.register_agency, agencies=agencies),
            commands.UpdateAgency: change,
            commands.AddService: change,
            commands.RemoveService: change,
            commands.DeactivateAgency: change,
        }
    )
    return AgencyContainer(runtime=runtime, bus=bus, agencies=agencies)


build_app = app_builder(
    bootstrap,
    title="MPP agency service",
    description="Agencies in the Public Service Mall programme and their services.",
    routers=[router],
)
