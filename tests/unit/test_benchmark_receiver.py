"""The benchmarks' lean receiver accepts only what the standardwebhooks package verifies, over
real HTTP/1.1 with keep-alive, so the burst and steady figures count verified deliveries only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from benchmarks._lean_receiver import LeanReceiver
from services.notify.signing import new_secret


@pytest.fixture
async def receiver() -> AsyncIterator[LeanReceiver]:
    served = LeanReceiver()
    await served.start()
    yield served
    await served.stop()


def _signed(secret: str, webhook_id: str, body: bytes) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body.decode()),
    }


async def test_signed_deliveries_are_accepted_on_one_connection_and_forged_ones_refused(
    receiver: LeanReceiver,
) -> None:
    secret, other = new_secret(), new_secret()
    receiver.trust(secret)
    body = b'{"specversion":"1.0","id":"e1","type":"agency.registered"}'

    async with httpx.AsyncClient() as client:
        first = await client.post(receiver.url, content=body, headers=_signed(secret, "m1", body))
        forged = await client.post(receiver.url, content=body, headers=_signed(other, "m2", body))
        tampered = await client.post(
            receiver.url, content=body + b" ", headers=_signed(secret, "m3", body)
        )
        again = await client.post(receiver.url, content=body, headers=_signed(secret, "m4", body))

    assert [r.status_code for r in (first, forged, tampered, again)] == [204, 401, 401, 204]
    assert [(a[0], a[1], a[2]) for a in receiver.received] == [
        ("m1", True, True),
        ("m2", False, False),
        ("m3", False, False),
        ("m4", True, True),
    ]


async def test_a_request_that_is_not_http_gets_a_400_and_the_connection_closes(
    receiver: LeanReceiver,
) -> None:
    host, port = "127.0.0.1", int(receiver.url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()

    assert answer.startswith(b"HTTP/1.1 400 ")
    assert receiver.received == []
