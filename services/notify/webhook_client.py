"""The one place the HTTP client that sends webhooks is made (pooled keep-alive connections).

Every connection it opens passes the egress policy (``shared.egress``): resolved, every
address checked, connected to the checked address. Redirects are never followed (a 3xx is
a failed attempt), and proxies from the environment are ignored, since a proxy would
resolve names where the policy cannot check them.
"""

from __future__ import annotations

import ssl
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from services.notify.settings import NotifySettings
from shared.egress import EgressPolicy, EgressTransport

USER_AGENT = "mpp-notify/1.0 (Standard Webhooks)"


def cookieless_jar() -> CookieJar:
    """A jar that keeps nothing: a cookie one receiver sets must never reach another
    subscription's receiver on the same host (webhooks are stateless requests)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def build_webhook_client(
    settings: NotifySettings,
    *,
    egress: EgressPolicy | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """The client every delivery goes through: checked egress, no redirects, kept alive.

    Args:
        settings: timeouts, concurrency (the pool's size) and ``WEBHOOK_ALLOWED_NETWORKS``.
        egress: the policy to apply; by default the one ``settings`` describe.
        verify: TLS verification (tests pass a context trusting their own CA).
    """
    policy = egress or EgressPolicy.from_settings(settings)
    limits = httpx.Limits(
        max_connections=settings.webhook_concurrency,
        max_keepalive_connections=settings.webhook_concurrency,
        keepalive_expiry=30.0,
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        follow_redirects=False,
        limits=limits,
        headers={"user-agent": USER_AGENT},
        transport=EgressTransport(policy, verify=verify, limits=limits),
        trust_env=False,
        cookies=cookieless_jar(),
    )
