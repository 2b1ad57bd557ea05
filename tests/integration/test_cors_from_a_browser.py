"""A dashboard on another origin, in a real headless Chromium, reads the live feed and the API.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright's Python package. The
dashboard page is served from its own loopback port, a different origin from the service's
(Chromium's local-network rules would refuse a public origin calling loopback at all).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.async_api import Page, async_playwright

from shared.storage import Storage
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.catalogue_events import agency_registered, publish
from tests.support.eventually import eventually
from tests.support.notify import running_notify
from tests.support.servers import API_KEY, serve

pytestmark = pytest.mark.broker


FOLLOW_FEED = """
async ([url, wanted]) => await new Promise((resolve) => {
    const source = new EventSource(url);
    const timer = setTimeout(() => { source.close(); resolve({outcome: "timeout"}); }, 15000);
    source.addEventListener("agency.registered", (message) => {
        if (JSON.parse(message.data).id !== wanted) return;
        clearTimeout(timer); source.close(); resolve({outcome: "event", id: wanted});
    });
    source.onerror = () => {
        if (source.readyState !== EventSource.CLOSED) return;
        clearTimeout(timer); resolve({outcome: "blocked"});
    };
    source.onopen = () => { window.feedOpen = true; };
})
"""

FETCH_WITH_KEY = """
async ([url, key]) => {
    try {
        const answer = await fetch(url, {headers: {Authorization: "Bearer " + key}});
        return {status: answer.status, requestId: answer.headers.get("X-Request-ID")};
    } catch (error) {
        return {error: String(error)};
    }
}
"""


@dataclass
class Dashboard:
    page: Page
    origin: str


def _dashboard_app() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    async def index() -> HTMLResponse:
        return HTMLResponse("<html><body>MPP dashboard</body></html>")

    return app


@pytest.fixture
async def dashboard() -> AsyncIterator[Dashboard]:
    """A Chromium page on a dashboard origin of its own (another loopback port)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: scripts/_setup.sh installs Debian's chromium")
    async with serve(_dashboard_app()) as site, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{site.base_url}/")
            yield Dashboard(page=page, origin=site.base_url)
        finally:
            await browser.close()


async def _follow_until(page: Page, stream_url: str) -> dict[str, Any]:
    event = agency_registered()
    task = asyncio.ensure_future(page.evaluate(FOLLOW_FEED, [stream_url, event.id]))

    async def open_or_over() -> bool:
        return task.done() or bool(await page.evaluate("window.feedOpen === true"))

    await eventually(open_or_over, every=0.1, what="the browser's feed open")
    await publish(event)
    result: dict[str, Any] = await task
    return result


async def test_an_allowed_origin_follows_the_live_feed_and_calls_the_api_with_a_key(
    rabbitmq: str, notify_storage: Storage, dashboard: Dashboard
) -> None:
    origin = dashboard.origin
    async with running_notify(notify_storage, cors_allowed_origins=origin) as notify:
        followed = await _follow_until(dashboard.page, f"{notify.base_url}/events/stream")
        assert followed["outcome"] == "event"
        # A bearer key makes the browser send a preflight first; the exposed header is readable.
        fetched = await dashboard.page.evaluate(
            FETCH_WITH_KEY, [f"{notify.base_url}/subscriptions", API_KEY]
        )
        assert fetched.get("status") == 200, fetched
        assert fetched["requestId"]


async def test_without_allowed_origins_the_browser_blocks_the_feed_and_the_api(
    rabbitmq: str, notify_storage: Storage, dashboard: Dashboard
) -> None:
    async with running_notify(notify_storage) as notify:
        followed = await _follow_until(dashboard.page, f"{notify.base_url}/events/stream")
        assert followed["outcome"] == "blocked"
        fetched = await dashboard.page.evaluate(
            FETCH_WITH_KEY, [f"{notify.base_url}/subscriptions", API_KEY]
        )
        assert "error" in fetched


async def test_a_preflight_names_the_methods_and_headers_a_dashboard_may_use(
    rabbitmq: str, notify_storage: Storage
) -> None:
    dashboard = "http://dashboard.example"
    async with running_notify(notify_storage, cors_allowed_origins=dashboard) as notify:
        preflight = await notify.client.options(
            "/subscriptions/any",
            headers={
                "Origin": dashboard,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, if-match, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == dashboard
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        assert "if-match" in preflight.headers["access-control-allow-headers"].lower()
        other = await notify.client.options(
            "/subscriptions/any",
            headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "PATCH"},
        )
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers
