"""The webhook client against real servers on loopback: where it may connect, and how.

The client is the one notify sends webhooks with (``build_webhook_client``). Names are
resolved by a fixed table the policy is given (``hooks.example.test`` is in no DNS), so a
request that arrives proves the client connected to the address it resolved and checked.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from services.notify.webhook_client import build_webhook_client
from shared.egress import EgressPolicy, EgressRefused, parse_networks
from tests.support.loopback import PUBLIC, Certificates, Dns, LoopbackServer
from tests.support.webhooks import notify_settings

NAME = "hooks.example.test"


def client(
    allowed: str = "", dns: Dns | None = None, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncClient:
    settings = notify_settings(webhook_allowed_networks=allowed)
    policy = EgressPolicy(parse_networks(allowed), resolver=dns or Dns())
    return build_webhook_client(settings, egress=policy, verify=verify)


async def test_by_default_a_receiver_on_loopback_is_refused_before_any_connection() -> None:
    async with LoopbackServer() as server, client() as webhooks:
        for url in (
            f"http://127.0.0.1:{server.port}/hooks",
            f"http://localhost:{server.port}/hooks",
            f"http://2130706433:{server.port}/hooks",
            f"http://[::ffff:127.0.0.1]:{server.port}/hooks",
        ):
            with pytest.raises(EgressRefused, match="loopback"):
                await webhooks.post(url, content=b"{}")

    assert server.connections == 0


async def test_with_loopback_allowed_the_receiver_gets_the_request() -> None:
    async with LoopbackServer() as server, client(allowed="127.0.0.0/8") as webhooks:
        answer = await webhooks.post(f"http://127.0.0.1:{server.port}/hooks", content=b"{}")

    assert answer.status_code == 204
    assert [r.target for r in server.requests] == ["/hooks"]


async def test_a_name_that_resolves_to_loopback_is_refused_at_delivery() -> None:
    dns = Dns(hooks_example_test=["127.0.0.1"])
    async with LoopbackServer() as server, client(dns=dns) as webhooks:
        with pytest.raises(EgressRefused, match=r"hooks\.example\.test \(127\.0\.0\.1\)"):
            await webhooks.post(f"http://{NAME}:{server.port}/hooks", content=b"{}")

    assert dns.lookups == 1
    assert server.connections == 0


async def test_a_name_that_passed_its_check_and_then_rebinds_to_loopback_is_refused() -> None:
    dns = Dns(hooks_example_test=[PUBLIC])
    policy = EgressPolicy(resolver=dns)
    url = f"http://{NAME}:9/hooks"
    assert await policy.check_url_resolved(url) == url  # what the API saw at create time

    dns.answers[NAME] = ["127.0.0.1"]  # the attacker's DNS changes its answer
    async with LoopbackServer() as server, client(dns=dns) as webhooks:
        with pytest.raises(EgressRefused, match="loopback"):
            await webhooks.post(f"http://{NAME}:{server.port}/hooks", content=b"{}")

    assert server.connections == 0


async def test_a_name_with_one_internal_address_among_public_ones_is_refused() -> None:
    dns = Dns(hooks_example_test=[PUBLIC, "127.0.0.1"])
    async with LoopbackServer() as server, client(dns=dns) as webhooks:
        with pytest.raises(EgressRefused):
            await webhooks.post(f"http://{NAME}:{server.port}/hooks", content=b"{}")

    assert server.connections == 0


async def test_the_client_connects_to_the_checked_address_and_keeps_the_host_header() -> None:
    dns = Dns(hooks_example_test=["127.0.0.1"])
    async with (
        LoopbackServer() as server,
        client(allowed="127.0.0.0/8", dns=dns) as webhooks,
    ):
        answer = await webhooks.post(f"http://{NAME}:{server.port}/hooks?x=1", content=b"{}")

    assert answer.status_code == 204
    [seen] = server.requests
    assert seen.headers["host"] == f"{NAME}:{server.port}"
    assert seen.target == "/hooks?x=1"
    assert dns.lookups == 1


async def test_tls_verifies_the_certificate_and_sends_sni_for_the_original_name(
    tmp_path: Path,
) -> None:
    ca = Certificates.new()
    dns = Dns(hooks_example_test=["127.0.0.1"], other_example_test=["127.0.0.1"])
    tls = ca.server_context(NAME, tmp_path)
    async with (
        LoopbackServer(tls=tls) as server,
        client(allowed="127.0.0.0/8", dns=dns, verify=ca.client_context()) as webhooks,
    ):
        answer = await webhooks.post(f"https://{NAME}:{server.port}/hooks", content=b"{}")
        # The same server under a name its certificate does not carry: refused by TLS.
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await webhooks.post(f"https://other.example.test:{server.port}/hooks", content=b"{}")

    assert answer.status_code == 204
    assert server.server_names[0] == NAME
    assert server.requests[0].headers["host"] == f"{NAME}:{server.port}"


async def test_redirects_are_not_followed() -> None:
    async with (
        LoopbackServer() as target,
        LoopbackServer(status=307) as redirecting,
        client(allowed="127.0.0.0/8") as webhooks,
    ):
        redirecting.headers["location"] = f"http://127.0.0.1:{target.port}/internal"
        answer = await webhooks.post(f"http://127.0.0.1:{redirecting.port}/hooks", content=b"{}")

    assert answer.status_code == 307
    assert target.connections == 0


async def test_a_url_with_credentials_is_never_sent() -> None:
    async with LoopbackServer() as server, client(allowed="127.0.0.0/8") as webhooks:
        with pytest.raises(EgressRefused, match="credentials"):
            await webhooks.post(f"http://admin:s3cret@127.0.0.1:{server.port}/h", content=b"")

    assert server.connections == 0
