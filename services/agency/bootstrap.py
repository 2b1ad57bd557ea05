"""Wires the agency service together: settings -> runtime -> repository -> bus -> app."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from services.agency import SERVICE, handlers
from services.agency.api import router
from services.agency.commands import (
    AddService,
    DeactivateAgency,
    RegisterAgency,
    RemoveService,
    UpdateAgency,
)
from services.agency.repository import COLLECTION, AgencyRepository
from shared.bus import CommandBus
from shared.http.app import create_app
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from shared.storage import Storage


def build_app(settings: ServiceSettings | None = None, storage: Storage | None = None) -> FastAPI:
    """The agency service's app, its broker and storage not yet started."""
    settings = settings or ServiceSettings()
    runtime = ServiceRuntime.create(SERVICE, settings, storage)
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
    app = create_app(
        runtime,
        title="MPP agency service",
        description="Agencies in the Public Service Mall programme and their services.",
        routers=[router],
    )
    app.state.bus = bus
    app.state.agencies = agencies
    return app
