"""The one place the webhook HTTP client is built (pooled keep-alive connections)."""

from __future__ import annotations

import httpx

from services.notify.settings import NotifySettings

USER_AGENT = "mpp-notify/1.0 (Standard Webhooks)"


def build_webhook_client(
    settings: NotifySettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The client every delivery goes through: no redirects, bounded pool, kept alive.

    Args:
        settings: timeouts and the concurrency (the pool's size).
        transport: where requests go instead of the network (tests).
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        follow_redirects=False,
        limits=httpx.Limits(
            max_connections=settings.webhook_concurrency,
            max_keepalive_connections=settings.webhook_concurrency,
            keepalive_expiry=30.0,
        ),
        headers={"user-agent": USER_AGENT},
        transport=transport,
    )
