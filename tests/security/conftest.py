"""Fixtures of the security suite: broker identities provisioned for real, apps with keys."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from services.agency.bootstrap import build_app as build_agency_app
from services.mall.bootstrap import build_app as build_mall_app
from services.mou.bootstrap import build_app as build_mou_app
from services.notify.bootstrap import build_app as build_notify_app
from shared.messaging.provision import deprovision, provision
from tests.support.servers import service_settings
from tests.support.vhost import BASE_RABBITMQ_URL, create_vhost, delete_vhost

BUILDERS: dict[str, Callable[..., FastAPI]] = {
    "agency": build_agency_app,
    "mou": build_mou_app,
    "mall": build_mall_app,
    "notify": build_notify_app,
}
"""The services whose protected routes the suite attacks, read from their OpenAPI documents."""

SCOPES = {
    "agency": "agency:write",
    "mou": "mou:write",
    "mall": "mall:write",
    "notify": "notify:admin",
}
MANAGEMENT_URL = os.environ.get("RABBITMQ_MANAGEMENT_URL")
OTHER_SCOPE_KEY = "another-services-key-with-a-scope-of-its-own"
"""A valid key with notify's scope only: another service's scope for agency, mou and mall."""
AGENCY_SCOPE_KEY = "a-valid-key-that-may-only-write-agencies"
"""A valid key with agency's scope only: another service's scope for notify."""


@dataclass(frozen=True)
class Provisioned:
    """What ``python -m shared.messaging.provision`` printed for a vhost of the test's own."""

    vhost: str
    prefix: str
    lines: dict[str, str]
    admin_url: str
    """The run's own (administrator) user in this vhost: a holder of shared credentials."""

    def url(self, role: str) -> str:
        return self.lines[f"{role.upper()}_RABBITMQ_URL"]

    def user(self, role: str) -> str:
        return f"{self.prefix}{role}"

    @property
    def identities(self) -> str:
        return self.lines["MPP_BROKER_IDENTITIES"]


@pytest.fixture(scope="module")
def provisioned() -> Iterator[Provisioned]:
    """Identities provisioned in a vhost this module creates; users and vhost deleted after."""
    vhost = f"mpp-test-sec-{uuid.uuid4().hex[:10]}"
    prefix = f"mpp-test-{uuid.uuid4().hex[:8]}-"
    admin_url = create_vhost(vhost)
    try:
        lines = provision(BASE_RABBITMQ_URL, vhost, prefix=prefix, management_url=MANAGEMENT_URL)
        yield Provisioned(vhost=vhost, prefix=prefix, lines=lines, admin_url=admin_url)
    finally:
        deprovision(BASE_RABBITMQ_URL, prefix=prefix, management_url=MANAGEMENT_URL)
        delete_vhost(vhost)


def keyed_settings(**overrides: object) -> object:
    """Test settings plus a second key that has only notify's scope (another service's)."""
    other = {
        "name": "other-service",
        "sha256": hashlib.sha256(OTHER_SCOPE_KEY.encode()).hexdigest(),
        "scopes": ["notify:admin"],
    }
    agency_only = {
        "name": "agency-writer",
        "sha256": hashlib.sha256(AGENCY_SCOPE_KEY.encode()).hexdigest(),
        "scopes": ["agency:write"],
    }
    return service_settings(mpp_api_keys=json.dumps([other, agency_only]), **overrides)


@pytest.fixture
async def asgi_client() -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Clients straight onto a service's ASGI app (no lifespan: nothing below auth runs)."""
    clients: list[httpx.AsyncClient] = []

    def make(service: str, **overrides: object) -> httpx.AsyncClient:
        app = BUILDERS[service](keyed_settings(**overrides))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
