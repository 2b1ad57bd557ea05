"""Wires the MoU service together: settings, store, broker -> container -> app."""

from __future__ import annotations

from datetime import date
from functools import partial

from faststream.rabbit import RabbitBroker

from services.mou import SERVICE, commands, handlers
from services.mou.api import router
from services.mou.consumers import consumers
from services.mou.container import MouContainer
from services.mou.programme_metrics import record_mou_figures
from services.mou.repository import COLLECTION, MouRepository
from services.mou.settings import MouSettings
from shared.bus import CommandBus
from shared.http.app import app_builder
from shared.projections.agencies import AgencyDirectory
from shared.runtime import PeriodicTask, ServiceRuntime
from shared.settings import ServiceSettings
from shared.storage import Storage


def bootstrap(
    settings: ServiceSettings | None = None,
    storage: Storage | None = None,
    broker: RabbitBroker | None = None,
) -> MouContainer:
    """The MoU service's parts, nothing started (arguments: ``shared.http.app.app_builder``)."""
    mou_settings = MouSettings.of(settings)
    runtime = ServiceRuntime.create(SERVICE, mou_settings, storage, broker)
    mous = MouRepository(runtime.aggregate_store(COLLECTION))
    agency_directory = AgencyDirectory(runtime.storage.db)
    runtime.set_up_indexes(mous, agency_directory)
    runtime.document_publications(SERVICE)
    runtime.consume(consumers(agency_directory))

    async def expire_due(today: date | None = None) -> list[str]:
        return await handlers.expire_due_mous(mous, today)

    runtime.add_periodic(
        PeriodicTask("mou-expiry", mou_settings.mou_expiry_interval_seconds, expire_due)
    )
    # A command that only calls its domain method (``apply``) on one stored aggregate:
    change = partial(handlers.change_mou, mous=mous)
    party_act = partial(handlers.act_as_party, mous=mous, agencies=agency_directory)
    bus = CommandBus(
        {
            commands.DraftMou: partial(handlers.draft_mou, mous=mous, agencies=agency_directory),
            commands.ReviseMou: partial(handlers.revise_mou, mous=mous, agencies=agency_directory),
            commands.ScheduleSigning: change,
            commands.SignMou: party_act,
            commands.AppointTeamMember: party_act,
            commands.TerminateMou: change,
        }
    )
    return MouContainer(
        runtime=runtime,
        bus=bus,
        mous=mous,
        agency_directory=agency_directory,
        expire_due=expire_due,
        scrape_hooks=(partial(record_mou_figures, mous),),
    )


build_app = app_builder(
    bootstrap,
    title="MPP MoU service",
    description=(
        "MoUs (Nota Kesepahaman) between KemenPANRB and the bodies joining the Public Service"
        " Mall programme: parties, signatures and the working team."
    ),
    routers=[router],
)
