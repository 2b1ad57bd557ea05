"""Wires the mall service together: settings, store, broker -> container -> app."""

from __future__ import annotations

from functools import partial

from faststream.rabbit import RabbitBroker

from services.mall import SERVICE, commands, handlers
from services.mall.api import router
from services.mall.consumers import CounterFlags, consumers
from services.mall.container import MallContainer
from services.mall.dashboard.figures import DashboardSettings
from services.mall.dashboard.router import router as dashboard_router
from services.mall.programme_api import router as programme_router
from services.mall.programme_metrics import record_programme_figures
from services.mall.projections import MouRegister
from services.mall.repository import COLLECTION, MallRepository
from shared.bus import CommandBus
from shared.http.app import app_builder
from shared.projections.agencies import AgencyDirectory
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from shared.storage import Storage


def bootstrap(
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
    broker: RabbitBroker | None = None,
) -> MallContainer:
    """The mall service's parts, nothing started (arguments: ``shared.http.app.app_builder``)."""
    runtime = ServiceRuntime.create(SERVICE, settings or ServiceSettings(), storage, broker)
    malls = MallRepository(runtime.aggregate_store(COLLECTION))
    agency_directory = AgencyDirectory(runtime.storage.db)
    mou_directory = MouRegister(runtime.storage.db)
    runtime.set_up_indexes(malls, agency_directory, mou_directory)
    runtime.document_publications(SERVICE)
    flags = CounterFlags(malls, agency_directory, mou_directory)
    runtime.consume(consumers(agency_directory, flags))
    # A command that only calls its domain method (``apply``) on one stored aggregate:
    change = partial(handlers.change_mall, malls=malls)
    bus = CommandBus(
        {
            commands.PlanMall: partial(handlers.plan_mall, malls=malls),
            commands.OpenMall: change,
            commands.ScheduleInauguration: change,
            commands.InaugurateMall: change,
            commands.CloseMall: change,
            commands.OpenCounter: partial(
                handlers.open_counter, malls=malls, agencies=agency_directory, mous=mou_directory
            ),
            commands.CloseCounter: change,
        }
    )
    return MallContainer(
        runtime=runtime,
        bus=bus,
        malls=malls,
        agency_directory=agency_directory,
        mou_directory=mou_directory,
        counter_flags=flags,
        dashboard=DashboardSettings(),
        scrape_hooks=(partial(record_programme_figures, malls),),
    )


build_app = app_builder(
    bootstrap,
    title="MPP mall service",
    description=(
        "Public Service Malls (Mal Pelayanan Publik): their region, lifecycle and the"
        " counters (gerai) of the agencies that take part."
    ),
    routers=[router, programme_router, dashboard_router],
)
