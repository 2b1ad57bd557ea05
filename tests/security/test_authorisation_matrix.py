"""Every write route of the four services, and every notify route that needs its key (its
subscriptions and deliveries), read from their OpenAPI documents, refuses a request without a
key, with a wrong key, and with a key scoped to another service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.security.conftest import (
    AGENCY_SCOPE_KEY,
    BUILDERS,
    OTHER_SCOPE_KEY,
    SCOPES,
    keyed_settings,
)

pytestmark = pytest.mark.security

WRITE_METHODS = ("post", "put", "patch", "delete")


def write_routes(service: str) -> list[tuple[str, str]]:
    """(method, concrete path) of every write operation in ``service``'s OpenAPI document."""
    document: dict[str, Any] = BUILDERS[service](keyed_settings()).openapi()
    routes = []
    for template, operations in document["paths"].items():
        for method in operations:
            protected_read = (
                service == "notify"
                and method == "get"
                and template.startswith(("/subscriptions", "/deliveries"))
            )
            if method in WRITE_METHODS or protected_read:
                path = template
                for parameter in operations[method].get("parameters", []):
                    if parameter["in"] == "path":
                        path = path.replace("{" + parameter["name"] + "}", "01HXSECURITYTEST")
                routes.append((method.upper(), path))
    return routes


MATRIX = [(service, method, path) for service in BUILDERS for method, path in write_routes(service)]


def test_the_matrix_covers_the_protected_routes_of_the_four_services() -> None:
    per_service = {s: sum(1 for m in MATRIX if m[0] == s) for s in BUILDERS}
    assert all(count >= 4 for count in per_service.values()), per_service


CREDENTIALS = {
    "no key": ({}, 401),
    "a wrong key": ({"Authorization": "Bearer not-the-key-at-all-but-long-enough"}, 401),
    "a malformed header": ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
    "another service's scope": ({"Authorization": f"Bearer {OTHER_SCOPE_KEY}"}, 403),
}


@pytest.mark.parametrize("credential", list(CREDENTIALS))
@pytest.mark.parametrize(("service", "method", "path"), MATRIX)
async def test_a_write_route_refuses_a_request_without_its_scope(
    asgi_client: Callable[..., httpx.AsyncClient],
    service: str,
    method: str,
    path: str,
    credential: str,
) -> None:
    headers, status = CREDENTIALS[credential]
    if credential == "another service's scope" and service == "notify":
        headers = {"Authorization": f"Bearer {AGENCY_SCOPE_KEY}"}
    client = asgi_client(service, auth_failures_per_minute=100_000)
    response = await client.request(method, path, json={}, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    else:
        assert SCOPES[service] in response.json()["detail"]
