"""Wires the MoU service together: settings -> runtime -> repository, projection -> bus -> app."""

from __future__ import annotations

from datetime import date
from functools import partial

from fastapi import FastAPI

from services.mou import SERVICE, handlers
from services.mou.api import router
from services.mou.commands import (
    AppointTeamMember,
    DraftMou,
    ReviseMou,
    ScheduleSigning,
    SignMou,
    TerminateMou,
)
from services.mou.consumers import consumers
from services.mou.programme_metrics import record_mou_figures
from services.mou.repository import COLLECTION, MouRepository
from services.mou.settings import MouSettings
from shared.bus import CommandBus
from shared.http.app import create_app
from shared.projections.agencies import AgencyDirectory
from shared.runtime import PeriodicTask, ServiceRuntime
from shared.scrape import add_scrape_hook
from shared.settings import ServiceSettings
from shared.storage import Storage


def build_app(settings: ServiceSettings | None = None, storage: Storage | None = None) -> FastAPI:
    """The MoU service's app, its broker and storage not yet started.

    ``app.state.expire_due(today=None)`` runs one expiry pass at once (tests, operators).
    """
    mou_settings = MouSettings.of(settings)
    runtime = ServiceRuntime.create(SERVICE, mou_settings, storage)
    mous = MouRepository(runtime.aggregate_store(COLLECTION))
    agencies = AgencyDirectory(runtime.storage.db)
    runtime.setup.append(mous.ensure_indexes)
    runtime.setup.append(agencies.ensure_indexes)
    runtime.document_publications(SERVICE)
    runtime.consume(consumers(agencies))

    async def expire_due(today: date | None = None) -> list[str]:
        return await handlers.expire_due_mous(mous, today)

    runtime.periodic.append(
        PeriodicTask("mou-expiry", mou_settings.mou_expiry_interval_seconds, expire_due)
    )

    bus = CommandBus(
        {
            DraftMou: partial(handlers.draft_mou, mous=mous, agencies=agencies),
            ReviseMou: partial(handlers.revise_mou, mous=mous, agencies=agencies),
            ScheduleSigning: partial(handlers.schedule_signing, mous=mous),
            SignMou: partial(handlers.sign_mou, mous=mous, agencies=agencies),
            AppointTeamMember: partial(handlers.appoint_team_member, mous=mous, agencies=agencies),
            TerminateMou: partial(handlers.terminate_mou, mous=mous),
        }
    )
    app = create_app(
        runtime,
        title="MPP MoU service",
        description=(
            "MoUs (Nota Kesepahaman) between KemenPANRB and the bodies joining the Public Service"
            " Mall programme: parties, signatures and the working team."
        ),
        routers=[router],
    )
    app.state.bus = bus
    app.state.mous = mous
    add_scrape_hook(app, partial(record_mou_figures, mous))
    app.state.agencies = agencies
    app.state.expire_due = expire_due
    return app
