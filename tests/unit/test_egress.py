"""The egress policy judges webhook URLs: every spelling of an internal address is refused."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from services.notify.settings import NotifySettings
from shared.egress import EgressPolicy, EgressRefused, parse_ipv4_host, parse_networks


def table(**names: Sequence[str]) -> EgressPolicy:
    """A default policy resolving names from a fixed table (dots as ``_``)."""

    async def resolve(host: str, port: int) -> list[str]:
        found = names.get(host.replace(".", "_").replace("-", "_"))
        if found is None:
            raise OSError(f"{host}: name or service not known")
        return list(found)

    return EgressPolicy(resolver=resolve)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8080/hooks", "loopback"),
        ("http://localhost/hooks", "loopback"),
        ("http://LOCALHOST./hooks", "loopback"),
        ("http://api.localhost/hooks", "loopback"),
        ("http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/hooks", "loopback"),
        ("http://[::1]/hooks", "loopback"),
        ("http://0.0.0.0/hooks", "unspecified"),
        ("http://0/hooks", "unspecified"),
        ("http://[::]/hooks", "unspecified"),
        ("http://127.1/hooks", "loopback"),
        ("http://2130706433/hooks", "loopback"),
        ("http://0x7f000001/hooks", "loopback"),
        ("http://0x7f.1/hooks", "loopback"),
        ("http://0177.0.0.1/hooks", "loopback"),
        ("http://127.0.0.1./hooks", "loopback"),
        ("http://[::ffff:127.0.0.1]/hooks", "loopback"),
        ("http://[::ffff:7f00:1]/hooks", "loopback"),
        ("http://[64:ff9b::7f00:1]/hooks", "loopback"),
        ("http://[2002:7f00:1::]/hooks", "loopback"),
        ("http://10.0.0.8/hooks", "private"),
        ("http://172.16.5.4/hooks", "private"),
        ("http://192.168.1.10/hooks", "private"),
        ("http://[::ffff:192.168.1.10]/hooks", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://metadata.google.internal/computeMetadata/v1/", "link-local"),
        ("http://metadata/computeMetadata/v1/", "link-local"),
        ("http://[fe80::1]/hooks", "link-local"),
        ("http://100.64.0.1/hooks", "shared"),
        ("http://100.100.100.200/latest/meta-data/", "shared"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "unique-local"),
        ("http://[fc00::1]/hooks", "unique-local"),
        ("http://224.0.0.251/hooks", "multicast"),
        ("http://[ff02::1]/hooks", "multicast"),
        ("http://240.0.0.1/hooks", "reserved"),
        ("http://255.255.255.255/hooks", "reserved"),
        ("http://192.0.2.10/hooks", "reserved"),
        ("http://[2001:db8::1]/hooks", "reserved"),
    ],
)
def test_internal_addresses_are_refused_by_default_in_every_spelling(url: str, why: str) -> None:
    with pytest.raises(EgressRefused) as refused:
        EgressPolicy().check_url(url)
    assert why in refused.value.reason
    assert "WEBHOOK_ALLOWED_NETWORKS" in refused.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.go.id/mpp",
        "https://hooks.example.go.id:8443/mpp?tenant=7",
        "http://93.184.215.14/hooks",
        "https://[2606:4700:4700::1111]/hooks",
        "https://metadata.example.go.id/hooks",
    ],
)
def test_public_destinations_are_allowed(url: str) -> None:
    assert EgressPolicy().check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2@hooks.example.go.id/mpp",
        "https://hunter2@hooks.example.go.id/mpp",
        "https://:hunter2@hooks.example.go.id/mpp",
    ],
)
def test_urls_with_credentials_are_refused_without_repeating_them(url: str) -> None:
    allowing_everything = EgressPolicy(parse_networks("0.0.0.0/0,::/0"))
    with pytest.raises(EgressRefused) as refused:
        allowing_everything.check_url(url)
    assert "credentials" in refused.value.reason
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.go.id/x", "file:///etc/passwd", "gopher://127.0.0.1:25/"]
)
def test_only_http_and_https_leave_the_platform(url: str) -> None:
    with pytest.raises(EgressRefused):
        EgressPolicy().check_url(url)


@pytest.mark.parametrize(
    "url", ["http://1.2.3.999/", "http://4294967296/", "http://1.2.3.4.5/", "http://09.1/"]
)
def test_hosts_that_look_numeric_but_are_no_address_are_refused(url: str) -> None:
    with pytest.raises(EgressRefused):
        EgressPolicy().check_url(url)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.258", "10.1.1.2"),
        ("2130706433", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("hooks.example.go.id", None),
    ],
)
def test_ipv4_hosts_are_read_as_url_parsers_and_inet_aton_read_them(
    host: str, address: str | None
) -> None:
    parsed = parse_ipv4_host(host)
    assert (str(parsed) if parsed else None) == address


def test_allowed_networks_let_an_on_premise_receiver_in_and_nothing_else() -> None:
    policy = EgressPolicy(parse_networks("127.0.0.0/8, 10.20.0.0/16"))
    for url in (
        "http://127.0.0.1:9000/hooks",
        "http://127.1:9000/hooks",
        "http://2130706433:9000/hooks",
        "http://[::ffff:127.0.0.1]:9000/hooks",
        "http://10.20.3.4/hooks",
    ):
        assert policy.check_url(url) == url
    for url in ("http://10.21.0.1/hooks", "http://169.254.169.254/", "http://[::1]/hooks"):
        with pytest.raises(EgressRefused):
            policy.check_url(url)
    with pytest.raises(EgressRefused):  # localhost also means ::1, which is not allowed
        policy.check_url("http://localhost/hooks")
    assert EgressPolicy(parse_networks("127.0.0.0/8,::1/128")).check_url("http://localhost/")


def test_allowed_networks_must_be_cidrs_and_settings_refuse_anything_else() -> None:
    assert parse_networks(" 10.0.0.0/8 ,, fd00::/8 ") == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert parse_networks("") == ()
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        parse_networks("10.0.0.0/8,10.0.0.0/33")
    with pytest.raises(ValidationError):
        NotifySettings(webhook_allowed_networks="intranet")


async def test_at_create_time_a_name_that_resolves_to_an_internal_address_is_refused() -> None:
    policy = table(
        hooks_corp_example=["10.1.2.3"],
        mixed_example=["93.184.215.14", "127.0.0.1"],
        public_example=["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    )
    with pytest.raises(EgressRefused, match=r"hooks\.corp\.example \(10\.1\.2\.3\) is a private"):
        await policy.check_url_resolved("https://hooks.corp.example/mpp")
    with pytest.raises(EgressRefused, match="loopback"):
        await policy.check_url_resolved("https://mixed.example/mpp")
    assert await policy.check_url_resolved("https://public.example/mpp")
    # Not resolvable yet: accepted now, judged again at every delivery.
    assert await policy.check_url_resolved("https://not-yet.example/mpp")
