"""Well-formed catalogue events built in tests, and publishing them as a producer would.

Each event's ``data`` is validated against its catalogue model, so what a test publishes is
what the mou and mall services publish.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.clock import new_id
from shared.events.catalogue import data_model_for, event_source
from shared.events.envelope import CONTENT_TYPE, CloudEvent
from tests.support.broker import publish_raw

SANGGAU = {
    "province_code": "61",
    "province_name": "Kalimantan Barat",
    "regency_code": "61.03",
    "regency_name": "Kabupaten Sanggau",
}


def catalogue_event(
    event_type: str, subject: str, data: dict[str, Any], correlation_id: str | None = None
) -> CloudEvent:
    """A CloudEvent of ``event_type`` whose ``data`` fits the catalogue."""
    model = data_model_for(event_type).model_validate(data)
    return CloudEvent.new(
        type=event_type,
        source=event_source(event_type),
        subject=subject,
        data=model.model_dump(mode="json"),
        correlation_id=correlation_id or str(uuid.uuid4()),
    )


async def publish(event: CloudEvent) -> None:
    """Put ``event`` on ``mpp.events`` as the outbox relay does (persistent, typed)."""
    await publish_raw(
        event.to_json_bytes(),
        event.type,
        message_id=event.id,
        correlation_id=event.correlationid,
        content_type=CONTENT_TYPE,
        type=event.type,
    )


def mou_scenario(mou_id: str, parties: list[dict[str, str]]) -> list[CloudEvent]:
    """An MoU drafted, scheduled, signed by every party, in force, with a team member."""
    title = "Penyelenggaraan Pelayanan Publik pada Mal Pelayanan Publik"
    signed_at = datetime(2022, 6, 28, 9, 0, tzinfo=UTC)
    base = {"mou_id": mou_id, "title": title, "number": f"NK/{mou_id[-6:]}/2022"}
    events = [
        catalogue_event("mou.drafted", mou_id, {**base, "version": 1, "parties": parties}),
        catalogue_event(
            "mou.signing_scheduled", mou_id, {**base, "version": 2, "signing_at": signed_at}
        ),
    ]
    signed_parties = []
    for i, party in enumerate(parties, start=1):
        signed = {
            **party,
            "signatory_name": f"Penandatangan {party['code']}",
            "signatory_title": "Menteri",
            "signed_at": signed_at,
        }
        signed_parties.append(signed)
        events.append(
            catalogue_event(
                "mou.party_signed",
                mou_id,
                {
                    **base,
                    "version": 2 + i,
                    "party": signed,
                    "signed_count": i,
                    "party_count": len(parties),
                },
            )
        )
    version = 2 + len(parties)
    events.append(
        catalogue_event(
            "mou.signed",
            mou_id,
            {
                **base,
                "version": version + 1,
                "parties": signed_parties,
                "signed_at": signed_at,
                "valid_from": "2022-06-28",
            },
        )
    )
    first = parties[0]
    events.append(
        catalogue_event(
            "mou.team_member_added",
            mou_id,
            {
                **base,
                "version": version + 2,
                "member": {
                    "agency_id": first["agency_id"],
                    "agency_code": first["code"],
                    "agency_name": first["name"],
                    "name": "Ketua Tim Kerja",
                    "role": "chair",
                },
            },
        )
    )
    return events


def mall_scenario(mall_id: str, agency: dict[str, str]) -> list[CloudEvent]:
    """MPP Kabupaten Sanggau planned, opened, scheduled, inaugurated, with a counter."""
    base = {"mall_id": mall_id, "name": "MPP Kabupaten Sanggau", "region": SANGGAU}
    opened = datetime(2020, 12, 10, 8, 0, tzinfo=UTC)
    inaugurated = datetime(2022, 5, 24, 9, 0, tzinfo=UTC)
    return [
        catalogue_event("mall.planned", mall_id, {**base, "version": 1}),
        catalogue_event("mall.opened", mall_id, {**base, "version": 2, "opened_at": opened}),
        catalogue_event(
            "mall.counter_opened",
            mall_id,
            {
                **base,
                "version": 3,
                "counter": {**agency, "services": ["PASPOR"], "opened_at": opened},
            },
        ),
        catalogue_event(
            "mall.inauguration_scheduled",
            mall_id,
            {**base, "version": 4, "scheduled_for": inaugurated},
        ),
        catalogue_event(
            "mall.inaugurated",
            mall_id,
            {
                **base,
                "version": 5,
                "inaugurated_at": inaugurated,
                "inaugurated_by": "Menteri PANRB",
            },
        ),
    ]


def agency_registered(agency_id: str | None = None) -> CloudEvent:
    """An ``agency.registered`` for a fresh (or the given) agency id."""
    agency_id = agency_id or new_id("agc")
    return catalogue_event(
        "agency.registered",
        agency_id,
        {
            "agency_id": agency_id,
            "version": 1,
            "code": "BNN",
            "name": "Badan Narkotika Nasional",
            "kind": "agency",
        },
    )


def agency_deactivated(agency_id: str) -> CloudEvent:
    """An ``agency.deactivated`` (version 2) of the given agency, correlated by its id."""
    data = {"agency_id": agency_id, "version": 2, "code": "BNN", "name": "BNN"}
    return catalogue_event("agency.deactivated", agency_id, data, f"corr-{agency_id}")


def mall_closed(mall_id: str | None = None) -> CloudEvent:
    """A ``mall.closed`` for a fresh (or the given) mall id."""
    mall_id = mall_id or new_id("mal")
    return catalogue_event(
        "mall.closed",
        mall_id,
        {
            "mall_id": mall_id,
            "name": "MPP Kabupaten Sanggau",
            "region": SANGGAU,
            "version": 6,
            "closed_at": datetime.now(UTC),
        },
    )
