"""Every number a client sends is parsed from ASCII digits within range: Unicode digits,
signs, underscores, exponents and 5,000-digit numbers get 4xx, never a 500."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from shared.errors import RuleViolated
from shared.numbers import parse_client_int
from tests.security.conftest import BUILDERS
from tests.support.servers import API_KEY

RESOURCE_SERVICES = [s for s in BUILDERS if s != "notify"]
"""Agency, MoU and mall; notify's positions and Retry-After have their own odd-number tests
(tests/integration/test_notify_live_feed.py, test_notify_webhooks.py)."""

pytestmark = pytest.mark.security

ODD_NUMBERS = [
    "²",  # superscript two: str.isdigit() is True, int() raises
    "٣",  # Arabic-Indic three: int() accepts it
    "\uff11",  # fullwidth one
    "1_000",
    " 1",
    "+1",
    "-1",
    "1e3",
    "0x10",
    "1.0",
    "",
    "9" * 19,  # past int64
    "9" * 5000,  # past Python's int() digit limit
]

PATCH_ROUTES = {"agency": "/agencies/{id}", "mou": "/mous/{id}", "mall": "/malls/{id}/closure"}
LIST_ROUTES = {"agency": "/agencies", "mou": "/mous", "mall": "/malls"}


@pytest.fixture(params=ODD_NUMBERS)
def text(request: pytest.FixtureRequest) -> str:
    """Each odd number in turn."""
    return str(request.param)


@pytest.fixture(params=RESOURCE_SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    """Each resource service in turn."""
    return str(request.param)


@pytest.fixture
def client(asgi_client: Callable[..., httpx.AsyncClient], service: str) -> httpx.AsyncClient:
    """A client straight onto ``service``'s app."""
    return asgi_client(service)


def test_parse_client_int_refuses_everything_but_ascii_digits_in_range(text: str) -> None:
    with pytest.raises(RuleViolated):
        parse_client_int(text, field="n")


def test_parse_client_int_reads_plain_digits() -> None:
    assert parse_client_int("0042", field="n") == 42
    assert parse_client_int(str(2**63 - 1), field="n") == 2**63 - 1


def _refused_cleanly(response: httpx.Response) -> None:
    assert response.status_code in (400, 404, 412, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_odd_if_match_is_a_client_error(
    client: httpx.AsyncClient, service: str, text: str
) -> None:
    path = PATCH_ROUTES[service].replace("{id}", "01HXNOSUCHTHING")
    method = "PATCH" if service != "mall" else "POST"
    for value in (text, f'"{text}"', f'W/"{text}"'):
        response = await client.request(
            method,
            path,
            json={},
            headers=[
                (b"Authorization", f"Bearer {API_KEY}".encode()),
                (b"If-Match", value.encode()),
            ],
        )
        _refused_cleanly(response)


async def test_an_odd_page_size_or_cursor_is_a_client_error(
    client: httpx.AsyncClient, service: str, text: str
) -> None:
    route = LIST_ROUTES[service]
    _refused_cleanly(await client.get(route, params={"limit": text}))
    cursor = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=") or "=="
    response = await client.get(route, params={"cursor": cursor})
    assert response.status_code in (200, 422), response.text  # an unknown id pages past nothing


async def test_an_overlong_cursor_is_refused(asgi_client: Callable[..., httpx.AsyncClient]) -> None:
    response = await asgi_client("agency").get("/agencies", params={"cursor": "A" * 5000})
    _refused_cleanly(response)
