"""Wires the mall service together: settings -> runtime -> repository and projections ->
consumers -> bus -> app."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from services.mall import SERVICE, handlers
from services.mall.api import router
from services.mall.commands import (
    CloseCounter,
    CloseMall,
    InaugurateMall,
    OpenCounter,
    OpenMall,
    PlanMall,
    ScheduleInauguration,
)
from services.mall.consumers import CounterFlags, consumers
from services.mall.dashboard import DashboardSettings
from services.mall.dashboard import router as dashboard_router
from services.mall.programme_api import router as programme_router
from services.mall.programme_metrics import record_programme_figures
from services.mall.projections import MouRegister
from services.mall.repository import COLLECTION, MallRepository
from shared.bus import CommandBus
from shared.http.app import create_app
from shared.projections.agencies import AgencyDirectory
from shared.runtime import ServiceRuntime
from shared.scrape import add_scrape_hook
from shared.settings import ServiceSettings
from shared.storage import Storage


def build_app(settings: ServiceSettings | None = None, storage: Storage | None = None) -> FastAPI:
    """The mall service's app, its broker and storage not yet started."""
    settings = settings or ServiceSettings()
    runtime = ServiceRuntime.create(SERVICE, settings, storage)
    malls = MallRepository(runtime.aggregate_store(COLLECTION))
    agencies = AgencyDirectory(runtime.storage.db)
    mous = MouRegister(runtime.storage.db)
    runtime.setup.extend([malls.ensure_indexes, agencies.ensure_indexes, mous.ensure_indexes])
    runtime.document_publications(SERVICE)
    flags = CounterFlags(malls, agencies, mous)
    runtime.consume(consumers(agencies, flags))

    bus = CommandBus(
        {
            PlanMall: partial(handlers.plan_mall, malls=malls),
            OpenMall: partial(handlers.open_mall, malls=malls),
            ScheduleInauguration: partial(handlers.schedule_inauguration, malls=malls),
            InaugurateMall: partial(handlers.inaugurate_mall, malls=malls),
            CloseMall: partial(handlers.close_mall, malls=malls),
            OpenCounter: partial(handlers.open_counter, malls=malls, agencies=agencies, mous=mous),
            CloseCounter: partial(handlers.close_counter, malls=malls),
        }
    )
    app = create_app(
        runtime,
        title="MPP mall service",
        description=(
            "Public Service Malls (Mal Pelayanan Publik): their region, lifecycle and the"
            " counters (gerai) of the agencies that take part."
        ),
        routers=[router, programme_router, dashboard_router],
    )
    app.state.bus = bus
    app.state.malls = malls
    add_scrape_hook(app, partial(record_programme_figures, malls))
    app.state.agency_directory = agencies
    app.state.mous = mous
    app.state.counter_flags = flags
    app.state.dashboard = DashboardSettings()
    return app
