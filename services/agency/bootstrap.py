"""Wires the agency service together: settings, store, broker -> container -> app."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from services.agency import SERVICE, handlers
from services.agency.api import router
from services.agency.commands import (
    AddService,
    DeactivateAgency,
    RegisterAgency,
    RemoveService,
    UpdateAgency,
)
from services.agency.container import AgencyContainer
from services.agency.repository import COLLECTION, AgencyRepository
from shared.bus import CommandBus
from shared.http.app import create_app
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from shared.storage import Storage


def bootstrap(
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
    broker: RabbitBroker | None = None,
) -> AgencyContainer:
    """The agency service's parts, nothing started.

    Args:
        settings: by default from the environment.
        storage: an already connected store (tests restart the service on the same one).
        broker: by default one failing over between the nodes of ``RABBITMQ_URL``.
    """
    runtime = ServiceRuntime.create(SERVICE, settings or ServiceSettings(), storage, broker)
    agencies = AgencyRepository(runtime.aggregate_store(COLLECTION))
    runtime.setup.append(agencies.ensure_indexes)
    runtime.document_publications(SERVICE)

    bus = CommandBus(
        {
            RegisterAgency: partial(handlers.register_agency, agencies=agencies),
            UpdateAgency: partial(handlers.update_agency, agencies=agencies),
            AddService: partial(handlers.add_service, agencies=agencies),
            RemoveService: partial(handlers.remove_service, agencies=agencies),
            DeactivateAgency: partial(handlers.deactivate_agency, agencies=agencies),
        }
    )
    return AgencyContainer(runtime=runtime, bus=bus, agencies=agencies)


def build_app(
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
    broker: RabbitBroker | None = None,
) -> FastAPI:
    """The agency service's app over ``bootstrap``'s container, not yet started."""
    return create_app(
        bootstrap(settings, storage, broker),
        title="MPP agency service",
        description="Agencies in the Public Service Mall programme and their services.",
        routers=[router],
    )
