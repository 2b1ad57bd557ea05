"""Limits at the edge, over real sockets: the body cap before parsing or authentication, slow
headers and bodies, failed-authentication rate limiting, and a maximum on every field."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from shared.events.catalogue import EVENT_TYPES
from shared.http.server import server_limits
from shared.settings import ServiceSettings
from tests.security.conftest import BUILDERS, keyed_settings
from tests.support.servers import API_KEY, uvicorn_serving

pytestmark = pytest.mark.security

CAP = 256 * 1024


@asynccontextmanager
async def guarded_agency(**overrides: Any) -> AsyncIterator[tuple[str, int]]:
    """The agency app under uvicorn with the production limits (no broker: lifespan off)."""
    settings = keyed_settings(**overrides)
    assert isinstance(settings, ServiceSettings)
    app = BUILDERS["agency"](settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        lifespan="off",
        **server_limits(settings),
    )
    async with uvicorn_serving(config) as port:
        yield "127.0.0.1", port


def _client(host: str, port: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://{host}:{port}")


async def _exchange(host: str, port: int, head: bytes, body: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(head + body)
    await writer.drain()
    async with asyncio.timeout(10):
        answer = await reader.read(65536)
    writer.close()
    return answer


async def test_a_huge_declared_body_without_a_key_gets_413_before_a_byte_of_it_is_read() -> None:
    async with guarded_agency() as (host, port):
        head = (
            b"POST /agencies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 104857600\r\n\r\n"
        )
        answer = await _exchange(host, port, head, b'{"code": "')
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"application/problem+json" in answer
    assert b"MAX_BODY_BYTES" in answer
    assert b"x-request-id" in answer.lower()  # logged and counted like every request


async def test_a_chunked_body_is_cut_off_with_413_as_soon_as_it_passes_the_cap() -> None:
    chunk = b"x" * 65536
    framed = (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") * 5  # 320 KiB, never finished
    async with guarded_agency() as (host, port):
        head = (
            b"POST /agencies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        answer = await _exchange(host, port, head, framed)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


async def test_a_body_under_the_cap_reaches_validation_which_names_the_field_too_long() -> None:
    async with guarded_agency() as (host, port), _client(host, port) as client:
        response = await client.post(
            "/agencies",
            json={"code": "BNN", "name": "N" * (CAP // 2), "kind": "agency"},
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
    assert response.status_code == 422
    assert response.json()["field"] == "name"


async def test_a_client_trickling_its_headers_is_disconnected_at_the_header_deadline() -> None:
    async with guarded_agency(http_header_timeout_seconds=1.0) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /agencies HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 15:
            try:
                writer.write(b"X")  # one byte of a header that never ends
                await writer.drain()
            except ConnectionError:
                closed = True
                break
            try:
                async with asyncio.timeout(0.3):
                    if await reader.read(1024) == b"":
                        closed = True
                        break
            except TimeoutError:
                pass
        writer.close()
    assert closed, "the slow-header connection was still open after 15 s"
    assert time.monotonic() - started < 10


async def test_a_body_that_does_not_arrive_in_time_gets_408() -> None:
    async with guarded_agency(http_body_timeout_seconds=1.0) as (host, port):
        head = b"POST /agencies HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        started = time.monotonic()
        answer = await _exchange(host, port, head, b'{"code":')
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 8


async def test_failed_authentications_from_one_address_are_answered_429_with_retry_after() -> None:
    async with (
        guarded_agency(auth_failures_per_minute=3) as (host, port),
        _client(host, port) as client,
    ):
        wrong = {"Authorization": "Bearer guessing-the-key-one-try-at-a-time"}
        statuses = [
            (await client.post("/agencies", json={}, headers=wrong)).status_code for _ in range(3)
        ]
        limited = await client.post("/agencies", json={}, headers=wrong)
        even_right = await client.post(
            "/agencies", json={}, headers={"Authorization": f"Bearer {API_KEY}"}
        )
        reads = await client.get("/agencies")
    assert statuses == [401, 401, 401]
    assert limited.status_code == 429
    assert limited.headers["retry-after"].isascii() and limited.headers["retry-after"].isdigit()
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["content-type"] == "application/problem+json"
    assert even_right.status_code == 429
    assert reads.status_code == 200  # public reads need no key and are not limited


def _unbounded(
    schema: dict[str, Any], defs: dict[str, Any], path: str, seen: set[str]
) -> list[str]:
    """Paths of strings without maxLength and arrays without maxItems in ``schema``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        return _unbounded(defs[name], defs, path, seen | {name})
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += _unbounded(option, defs, path, seen)
    kind = schema.get("type")
    bounded = {"maxLength", "enum", "const"} & set(schema)
    if kind == "string" and not bounded and schema.get("format") not in ("date", "date-time"):
        found.append(path)
    if kind == "array":
        if "maxItems" not in schema:
            found.append(path)
        found += _unbounded(schema.get("items", {}), defs, path + "[]", seen)
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded(sub, defs, f"{path}.{name}", seen)
    return found


@pytest.mark.parametrize("service", list(BUILDERS))
def test_every_string_and_list_a_write_route_accepts_has_a_maximum_in_openapi(
    service: str,
) -> None:
    document = BUILDERS[service](keyed_settings()).openapi()
    defs = document["components"]["schemas"]
    unbounded = []
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("query", "header"):
                    where = f"{method} {template} {parameter['name']}"
                    unbounded += _unbounded(parameter["schema"], defs, where, set())
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                unbounded += _unbounded(media["schema"], defs, f"{method} {template}", set())
    assert unbounded == []


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_string_and_list_of_an_events_data_has_a_maximum(event_type: str) -> None:
    schema = EVENT_TYPES[event_type].model_json_schema()
    assert _unbounded(schema, schema.get("$defs", {}), event_type, set()) == []
