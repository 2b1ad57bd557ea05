"""Running the MoU service beside the agency service, the way its agencies become known."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from services.agency.bootstrap import build_app as build_agency_app
from services.mou.bootstrap import build_app as build_mou_app
from services.mou.container import MouContainer
from services.mou.settings import MouSettings
from shared.messaging.topology import MOU_AGENCIES_QUEUE
from shared.storage import Storage
from tests.support.broker import delete_queues
from tests.support.inprocess import Spec, run_together
from tests.support.projections import known_to
from tests.support.servers import RunningService, run_service, service_settings


def mou_settings(**overrides: Any) -> MouSettings:
    """Test settings for the MoU service (the shared ones of ``service_settings``)."""
    return MouSettings(**{**service_settings().model_dump(), **overrides})


@dataclass
class Services:
    agency: RunningService
    mou: RunningService


@asynccontextmanager
async def agency_and_mou(
    agency_storage: Storage, mou_storage: Storage, **mou_overrides: Any
) -> AsyncIterator[Services]:
    """The agency and MoU services on loopback, the MoU queue emptied of older tests' events."""
    await delete_queues([MOU_AGENCIES_QUEUE])
    async with (
        run_service(build_agency_app, storage=agency_storage) as agency,
        run_service(build_mou_app, mou_settings(**mou_overrides), mou_storage) as mou,
    ):
        yield Services(agency=agency, mou=mou)


@asynccontextmanager
async def agency_and_mou_in_process(
    agency_storage: Storage, mou_storage: Storage, **mou_overrides: Any
) -> AsyncIterator[Services]:
    """The agency and MoU services with no broker, agency events carried to the MoU service in
    memory (``tests.support.inprocess``)."""
    async with run_together(
        Spec(build_agency_app, storage=agency_storage),
        Spec(build_mou_app, mou_settings(**mou_overrides), mou_storage),
    ) as (agency, mou):
        yield Services(agency=agency, mou=mou)


async def register_agency(agency: RunningService, body: dict[str, Any]) -> dict[str, Any]:
    response = await agency.client.post("/agencies", json=body, headers=agency.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def register_known(services: Services, *bodies: dict[str, Any]) -> list[dict[str, Any]]:
    """Register agencies through the agency service and wait until the MoU service knows them."""
    agencies = [await register_agency(services.agency, body) for body in bodies]
    await known_to(
        services.mou.container(MouContainer).agency_directory, [a["id"] for a in agencies]
    )
    return agencies
