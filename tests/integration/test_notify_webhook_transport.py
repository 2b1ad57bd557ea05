"""Notify's webhook transport on loopback: connections kept alive, and ones the receiver closed."""

from __future__ import annotations

import asyncio
import contextlib

from services.notify.webhook_client import WebhookTransport
from shared.egress import EgressPolicy, parse_networks
from tests.support.loopback import LoopbackServer

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _transport() -> WebhookTransport:
    return WebhookTransport(EgressPolicy(parse_networks("127.0.0.0/8")), max_connections=4)


async def test_a_kept_alive_connection_carries_the_next_delivery() -> None:
    connections = 0
    requests = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await answer_each(reader, writer)

    async def answer_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if b"content-length" in line
            )
            await reader.readexactly(length)
            requests += 1
            writer.write(ANSWER)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = _transport()
    try:
        answers = [
            await transport.post(f"http://127.0.0.1:{port}/h", [], b"{}", keep_bytes=100)
            for _ in range(3)
        ]
    finally:
        await transport.aclose()
        server.close()

    assert [(a.status, a.body) for a in answers] == [(200, b"ok")] * 3
    assert (connections, requests) == (1, 3)


async def test_a_connection_the_receiver_closed_is_replaced_without_a_failed_attempt() -> None:
    transport = _transport()
    async with LoopbackServer() as server:  # closes every connection after its answer
        url = f"http://127.0.0.1:{server.port}/hooks"
        first = await transport.post(url, [(b"x-n", b"1")], b"{}", keep_bytes=100)
        second = await transport.post(url, [(b"x-n", b"2")], b"{}", keep_bytes=100)
    await transport.aclose()

    assert (first.status, second.status) == (204, 204)
    assert [r.headers["x-n"] for r in server.requests] == ["1", "2"]
    assert server.connections == 2
