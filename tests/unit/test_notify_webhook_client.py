"""The webhook client keeps no cookies, so no receiver can plant one for another."""

from __future__ import annotations

import httpx

from services.notify.settings import NotifySettings
from services.notify.webhook_client import build_webhook_client


async def test_a_cookie_a_receiver_sets_is_never_kept_for_the_next_delivery() -> None:
    async with build_webhook_client(NotifySettings()) as client:
        request = httpx.Request("POST", "https://hooks.example.go.id/a")
        answer = httpx.Response(
            204, headers={"set-cookie": "session=planted; Path=/"}, request=request
        )
        client.cookies.extract_cookies(answer)
        assert len(client.cookies.jar) == 0
        follow_up = client.build_request("POST", "https://hooks.example.go.id/b")
        assert "cookie" not in follow_up.headers
