"""Several broker URLs: a service starts on the first that answers and fails over when it dies.

Two loopback proxies stand in for two nodes of a cluster (the real three-node cluster is in
``tests/faults/test_cluster_failover.py``).
"""

from __future__ import annotations

import time

import pytest

from services.agency.bootstrap import build_app
from shared.storage import Storage
from tests.support.broker import EventTap, TcpProxy
from tests.support.eventually import eventually
from tests.support.outbox import all_seen
from tests.support.processes import free_port
from tests.support.servers import API_KEY, RABBITMQ_URL, run_service, service_settings

pytestmark = pytest.mark.broker

AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def _register(svc: object, code: str) -> str:
    response = await svc.client.post(  # type: ignore[attr-defined]
        "/agencies",
        json={"code": code, "name": f"Agency {code}", "acronym": code, "kind": "agency"},
        headers=AUTH,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_service_skips_a_dead_node_and_fails_over_when_its_node_dies(
    rabbitmq: str, agency_storage: Storage
) -> None:
    first, second = TcpProxy(), TcpProxy()
    await first.start()
    await second.start()
    dead = RABBITMQ_URL.replace("127.0.0.1:5672", f"127.0.0.1:{free_port()}")
    settings = service_settings(rabbitmq_url=f"{dead},{first.url},{second.url}")
    try:
        async with (
            EventTap(["agency.#"]) as tap,
            run_service(build_app, settings, agency_storage) as svc,
        ):
            before = await _register(svc, "BEFORE")
            await tap.wait_for(lambda r: r.event["subject"] == before)

            await first.cut()
            cut_at = time.monotonic()
            after = await _register(svc, "AFTER")
            await tap.wait_for(lambda r: r.event["subject"] == after, timeout=30)
            await eventually(
                lambda: svc.client.get("/readyz"),
                until=lambda ready: ready.status_code == 200,
                timeout=30 - (time.monotonic() - cut_at),
                every=0.2,
                what="ready 30 s after the failover",
            )
            await all_seen(tap, agency_storage, "agencies", before, after)
            for subject in (before, after):
                # A publish the cut left unconfirmed is published again (at least once): the
                # same event, which consumers skip by its id; never a second event.
                ids = {r.event["id"] for r in tap.received if r.event["subject"] == subject}
                assert len(ids) == 1, ids
    finally:
        await first.cut()
        await second.cut()
