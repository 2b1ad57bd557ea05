"""The mall service's storage without the broker or HTTP: one open mall per regency, the
statistics, the MoU projection and the counter flags that follow from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from services.mall import handlers
from services.mall.commands import OpenCounter, PlanMall
from services.mall.consumers import CounterFlags
from services.mall.domain import Mall
from services.mall.projections import MouRegister
from services.mall.repository import MallRepository
from shared.errors import Conflict
from shared.events.catalogue import AgencyUpdated
from shared.events.envelope import CloudEvent
from shared.outbox import AggregateStore
from shared.projections.agencies import AgencyDirectory
from shared.storage import Storage
from tests.support.mou_events import (
    KEMENKUMHAM,
    KEMENPANRB,
    Party,
    agency_registered,
    mou_expired,
    mou_signed,
    mou_terminated,
)
from tests.support.reference_malls import (
    BATANG,
    HULU_SUNGAI_SELATAN,
    KOTA_MOJOKERTO,
    MADIUN,
    SANGGAU,
    ReferenceMall,
)

BPJSKES = Party.offering(
    "agc_bpjskes", "BPJSKES", "BPJS Kesehatan", "public_body", JKN="Pendaftaran JKN"
)
DPMPTSP = Party.offering(
    "agc_dpmptsp_sanggau",
    "DPMPTSP_SANGGAU",
    "DPMPTSP Kabupaten Sanggau",
    "local_government",
    IZIN_USAHA="Perizinan berusaha",
)


@dataclass
class Parts:
    malls: MallRepository
    agencies: AgencyDirectory
    mous: MouRegister
    flags: CounterFlags


@pytest.fixture
async def parts(mall_storage: Storage) -> AsyncIterator[Parts]:
    malls = MallRepository(AggregateStore(mall_storage.db["malls"]))
    agencies = AgencyDirectory(mall_storage.db)
    mous = MouRegister(mall_storage.db)
    for ensure in (malls.ensure_indexes, agencies.ensure_indexes, mous.ensure_indexes):
        await ensure()
    for party in (KEMENPANRB, KEMENKUMHAM, BPJSKES, DPMPTSP):
        await agencies.apply(agency_registered(party))
    yield Parts(malls, agencies, mous, CounterFlags(malls, agencies, mous))


async def _plan(parts: Parts, reference: ReferenceMall) -> Mall:
    return await handlers.plan_mall(
        PlanMall(name=reference.name, **reference.region),
        malls=parts.malls,
    )


async def _counter_under_mou_a(parts: Parts, parties: list[Party], party: Party) -> Mall:
    """Sanggau planned, with ``party``'s counter open under MoU ``mou_a`` (signed, version 4)."""
    await parts.flags.on_mou_event(mou_signed("mou_a", parties, version=4))
    sanggau = await _plan(parts, SANGGAU)
    await _open_counter(parts, sanggau, party)
    return sanggau


async def _open_counter(parts: Parts, mall: Mall, party: Party) -> Mall:
    return await handlers.open_counter(
        OpenCounter(mall_id=mall.id, agency_id=party.agency_id, services=[party.services[0].code]),
        malls=parts.malls,
        agencies=parts.agencies,
        mous=parts.mous,
    )


async def _flags(parts: Parts, mall: Mall) -> dict[str, bool]:
    stored = await parts.malls.get(mall.id)
    return {c.code: c.flagged for c in stored.counters}


async def _outbox(parts: Parts, mall: Mall, event_type: str) -> list[dict[str, Any]]:
    document = await parts.malls.collection.find_one({"_id": mall.id})
    assert document is not None
    return [e for e in document["_outbox"] if e["type"] == event_type]


# --- one mall that is not closed per regency ----------------------------------------------


async def test_a_second_mall_for_a_regency_is_refused_while_the_first_is_not_closed(
    parts: Parts,
) -> None:
    first = await _plan(parts, SANGGAU)
    with pytest.raises(Conflict) as refused:
        await _plan(parts, SANGGAU)
    assert refused.value.extensions["existing_mall_id"] == first.id
    assert "61.03" in refused.value.detail


async def test_the_unique_index_alone_refuses_a_concurrent_second_mall(parts: Parts) -> None:
    await _plan(parts, SANGGAU)
    racing = Mall.plan(
        name="MPP Sanggau (again)",
        province_code="61",
        regency_code="61.03",
        regency_name="Kabupaten Sanggau",
    )
    with pytest.raises(Conflict):
        await parts.malls.add(racing)  # the handler's look-up skipped, as in a race


async def test_once_the_mall_closes_its_regency_may_get_a_new_one_and_then_only_one(
    parts: Parts,
) -> None:
    first = await _plan(parts, SANGGAU)
    first.close("the building is demolished")
    await parts.malls.save(first)
    second = await _plan(parts, SANGGAU)
    third_attempt = Mall.plan(
        name="MPP Sanggau 3", province_code="61", regency_code="61.03", regency_name="Sanggau"
    )
    with pytest.raises(Conflict):
        await parts.malls.add(third_attempt)
    # Two closed malls in one regency do not clash either.
    second.close()
    await parts.malls.save(second)
    assert (await _plan(parts, SANGGAU)).status == "planned"


# --- statistics ----------------------------------------------------------------------------


async def test_stats_count_malls_by_status_and_province_and_open_counters(parts: Parts) -> None:
    await parts.flags.on_mou_event(
        mou_signed("mou_2022", [KEMENPANRB, KEMENKUMHAM, BPJSKES], version=4)
    )
    sanggau = await _plan(parts, SANGGAU)
    hss = await _plan(parts, HULU_SUNGAI_SELATAN)
    madiun = await _plan(parts, MADIUN)
    mojokerto = await _plan(parts, KOTA_MOJOKERTO)
    batang = await _plan(parts, BATANG)
    for mall in (sanggau, hss):
        await _open_counter(parts, mall, KEMENKUMHAM)
    await _open_counter(parts, sanggau, BPJSKES)
    await _open_counter(parts, sanggau, DPMPTSP)
    await _open_counter(parts, batang, BPJSKES)

    madiun.inaugurate("Bupati Madiun", datetime(2021, 11, 24, tzinfo=UTC))
    await parts.malls.save(madiun)
    mojokerto.open(datetime(2022, 3, 1, tzinfo=UTC))
    await parts.malls.save(mojokerto)
    batang = await parts.malls.get(batang.id)
    batang.close()
    await parts.malls.save(batang)

    stats = await parts.malls.stats()
    assert stats.total == 5
    assert stats.by_status == {"planned": 2, "operating": 1, "inaugurated": 1, "closed": 1}
    assert [(p.province_code, p.province_name, p.count) for p in stats.by_province] == [
        ("33", "Jawa Tengah", 1),
        ("35", "Jawa Timur", 2),
        ("61", "Kalimantan Barat", 1),
        ("63", "Kalimantan Selatan", 1),
    ]
    assert stats.counters == 4  # Batang's counter closed with the mall
    assert stats.agencies == 3


async def test_stats_of_no_malls_are_all_zero(parts: Parts) -> None:
    stats = await parts.malls.stats()
    assert stats.total == 0
    assert set(stats.by_status) == {"planned", "operating", "inaugurated", "closed"}
    assert stats.by_province == []
    assert (stats.counters, stats.agencies) == (0, 0)


# --- the MoU projection --------------------------------------------------------------------


async def test_a_signed_mou_is_in_force_for_each_of_its_parties_until_it_ends(
    parts: Parts,
) -> None:
    assert not await parts.mous.has_mou_in_force(KEMENKUMHAM.agency_id)
    await parts.mous.apply(mou_signed("mou_a", [KEMENPANRB, KEMENKUMHAM], version=4))
    assert await parts.mous.has_mou_in_force(KEMENKUMHAM.agency_id)
    assert not await parts.mous.has_mou_in_force(BPJSKES.agency_id)
    await parts.mous.apply(mou_expired("mou_a", [KEMENPANRB, KEMENKUMHAM], version=5))
    assert not await parts.mous.has_mou_in_force(KEMENKUMHAM.agency_id)


async def test_a_late_mou_signed_never_revives_a_terminated_mou(parts: Parts) -> None:
    parties = [KEMENPANRB, KEMENKUMHAM]
    await parts.mous.apply(mou_terminated("mou_a", parties, version=6))
    await parts.mous.apply(mou_signed("mou_a", parties, version=5))
    known = await parts.mous.get("mou_a")
    assert known is not None
    assert (known.status, known.version) == ("terminated", 6)
    assert not await parts.mous.has_mou_in_force(KEMENKUMHAM.agency_id)


async def test_applying_the_same_mou_event_twice_changes_nothing(parts: Parts) -> None:
    event = mou_signed("mou_a", [KEMENPANRB, KEMENKUMHAM], version=4)
    await parts.mous.apply(event)
    await parts.mous.apply(event)
    known = await parts.mous.get("mou_a")
    assert known is not None
    assert (known.status, known.version) == ("signed", 4)
    assert await parts.mous.count_in_force() == 1


# --- counters gated by MoUs and flagged when the last one ends ---------------------------


async def test_counters_are_flagged_when_their_agencys_last_mou_in_force_ends(
    parts: Parts,
) -> None:
    signed = [KEMENPANRB, KEMENKUMHAM, BPJSKES]
    await parts.flags.on_mou_event(mou_signed("mou_2022", signed, version=4, number="01/2022"))
    await parts.flags.on_mou_event(mou_signed("mou_bpjs", [KEMENPANRB, BPJSKES], version=3))
    sanggau = await _plan(parts, SANGGAU)
    hss = await _plan(parts, HULU_SUNGAI_SELATAN)
    for party in (KEMENKUMHAM, BPJSKES, DPMPTSP):
        await _open_counter(parts, sanggau, party)
    await _open_counter(parts, hss, KEMENKUMHAM)

    await parts.flags.on_mou_event(mou_terminated("mou_2022", signed, version=5, number="01/2022"))

    assert await _flags(parts, sanggau) == {
        "KEMENKUMHAM": True,
        "BPJSKES": False,  # still party to mou_bpjs
        "DPMPTSP_SANGGAU": False,  # a local government needs no MoU
    }
    assert await _flags(parts, hss) == {"KEMENKUMHAM": True}
    stored = await parts.malls.get(sanggau.id)
    assert stored.counters[0].flag_reason == (
        "no MoU in force: 01/2022 (Nota Kesepahaman tentang Penyelenggaraan Pelayanan Publik"
        " pada Mal Pelayanan Publik) was terminated"
    )
    # The change is published: mall.counter_flagged waits in each mall's outbox.
    for mall, codes in ((sanggau, ["KEMENKUMHAM"]), (hss, ["KEMENKUMHAM"])):
        flagged = await _outbox(parts, mall, "mall.counter_flagged")
        assert [e["data"]["code"] for e in flagged] == codes
        assert flagged[0]["data"]["flagged"] is True
        assert flagged[0]["data"]["region"]["regency_code"] == mall.region.regency_code


async def test_a_new_mou_clears_the_flag_and_flagging_twice_records_nothing(
    parts: Parts,
) -> None:
    parties = [KEMENPANRB, KEMENKUMHAM]
    sanggau = await _counter_under_mou_a(parts, parties, KEMENKUMHAM)
    terminated = mou_terminated("mou_a", parties, version=5)
    await parts.flags.on_mou_event(terminated)
    version_after_flag = (await parts.malls.get(sanggau.id)).version
    await parts.flags.on_mou_event(terminated)  # redelivered: nothing more changes
    assert (await parts.malls.get(sanggau.id)).version == version_after_flag

    await parts.flags.on_mou_event(mou_signed("mou_b", parties, version=4))
    stored = await parts.malls.get(sanggau.id)
    assert (stored.counters[0].flagged, stored.counters[0].flag_reason) == (False, None)
    assert stored.version == version_after_flag + 1


async def test_a_counter_of_an_agency_without_an_mou_is_refused_until_one_is_signed(
    parts: Parts,
) -> None:
    sanggau = await _plan(parts, SANGGAU)
    with pytest.raises(Conflict) as refused:
        await _open_counter(parts, sanggau, KEMENKUMHAM)
    assert "not a party to any MoU in force" in refused.value.detail
    await parts.flags.on_mou_event(mou_signed("mou_a", [KEMENPANRB, KEMENKUMHAM], version=4))
    opened = await _open_counter(parts, sanggau, KEMENKUMHAM)
    assert [c.code for c in opened.counters] == ["KEMENKUMHAM"]


async def test_an_agency_that_becomes_a_local_government_loses_its_flag(parts: Parts) -> None:
    parties = [KEMENPANRB, KEMENKUMHAM]
    sanggau = await _counter_under_mou_a(parts, parties, KEMENKUMHAM)
    await parts.flags.on_mou_event(mou_terminated("mou_a", parties, version=5))
    assert await _flags(parts, sanggau) == {"KEMENKUMHAM": True}

    updated = CloudEvent.new(
        type="agency.updated",
        source="/mpp/agency",
        subject=KEMENKUMHAM.agency_id,
        data=AgencyUpdated(
            agency_id=KEMENKUMHAM.agency_id,
            version=2,
            code=KEMENKUMHAM.code,
            name=KEMENKUMHAM.name,
            kind="local_government",
            changed=["kind"],
        ).model_dump(mode="json"),
        correlation_id="test",
    )
    await parts.agencies.apply(updated)
    await parts.flags.on_agency_updated(updated)
    assert await _flags(parts, sanggau) == {"KEMENKUMHAM": False}


async def test_an_expired_mou_flags_the_counters_too(parts: Parts) -> None:
    parties = [KEMENPANRB, BPJSKES]
    sanggau = await _counter_under_mou_a(parts, parties, BPJSKES)
    await parts.flags.on_mou_event(mou_expired("mou_a", parties, version=5))
    stored = await parts.malls.get(sanggau.id)
    assert stored.counters[0].flagged is True
    assert stored.counters[0].flag_reason is not None
    assert stored.counters[0].flag_reason.endswith("expired")
    [flagged] = await _outbox(parts, sanggau, "mall.counter_flagged")
    assert flagged["data"]["reason"] == stored.counters[0].flag_reason
