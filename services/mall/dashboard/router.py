"""``GET /dashboard``: the programme at a glance, rendered on the server; and
``GET /dashboard/feed``, notify's live feed relayed to the page's origin.

The relay passes notify's Server-Sent Events through frame by frame, unchanged (``id`` the
log position, ``event`` the type, ``data`` the CloudEvent): it uses only notify's public
``GET /events/stream`` and forwards ``Last-Event-ID``, so a reconnecting page misses nothing.
It exists so the page needs no cross-origin access to notify.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sse_starlette import EventSourceResponse

from services.mall.dashboard.charts import growth_chart, province_bars
from services.mall.dashboard.figures import gather
from services.mall.deps import Dashboard, Malls, MouDirectory
from shared.errors import DomainError, NotFound
from shared.events.catalogue import EVENT_TYPES
from shared.http.problems import Problem, answered_as

router = APIRouter(prefix="/dashboard", tags=["dashboard"])
STATIC = Path(__file__).parent / "static"
FEED_TYPES = "mall.*,mou.*,agency.*"
PING_SECONDS = 15.0
LOG_POSITION = r"^[0-9]+$"
"""What ``Last-Event-ID`` may be: a log position in ASCII digits (anything else is 422 here,
never forwarded: a non-ASCII value cannot even be sent on as a header)."""

templates = Environment(
    loader=PackageLoader("services.mall.dashboard", "templates"),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@answered_as(Problem(503, "feed-unavailable", "Live feed unavailable"))
class FeedUnavailable(DomainError):
    """Notify's live feed, which the dashboard relays, cannot be reached."""


@router.get("", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(malls: Malls, mou_directory: MouDirectory, settings: Dashboard) -> HTMLResponse:
    """The page: figures and charts as HTML and inline SVG, live events with JavaScript."""
    figures = await gather(malls, mou_directory, settings.mpp_official_totals)
    page = templates.get_template("dashboard.html").render(
        figures=figures,
        bars=province_bars(figures.stats),
        growth=growth_chart(figures.timeline, figures.official),
        event_types=sorted(EVENT_TYPES),
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


@router.get("/static/{name}", include_in_schema=False)
async def static_file(name: str) -> HTMLResponse:
    """The page's own script and style sheet (no third-party assets)."""
    kinds = {"live.js": "text/javascript", "dashboard.css": "text/css"}
    if name not in kinds:
        raise NotFound(f"the dashboard has no file {name}")
    return HTMLResponse(
        (STATIC / name).read_text(encoding="utf-8"),
        media_type=kinds[name],
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/feed", response_class=EventSourceResponse, include_in_schema=False)
async def feed(
    settings: Dashboard,
    types: str = Query(FEED_TYPES, max_length=500),
    last_event_id: str | None = Header(
        None, alias="Last-Event-ID", max_length=20, pattern=LOG_POSITION
    ),
) -> Response:
    """notify's ``/events/stream`` relayed frame by frame; notify's own 4xx answer (a filter
    it refuses) relayed as it is; 503 if notify cannot be reached or fails."""
    client = httpx.AsyncClient(
        base_url=settings.mpp_notify_url, timeout=httpx.Timeout(5.0, read=None)
    )
    headers = {"Accept": "text/event-stream"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    upstream_request = client.build_request(
        "GET", "/events/stream", params={"types": types}, headers=headers
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.HTTPError as error:
        await client.aclose()
        raise FeedUnavailable(f"notify's live feed cannot be reached: {error}") from error
    if upstream.status_code != 200:
        body = await upstream.aread()
        await upstream.aclose()
        await client.aclose()
        if 400 <= upstream.status_code < 500:  # the request's fault: say so, not "unavailable"
            media_type = upstream.headers.get("content-type", "application/problem+json")
            return Response(body, status_code=upstream.status_code, media_type=media_type)
        raise FeedUnavailable(f"notify's live feed answered {upstream.status_code}")
    return EventSourceResponse(
        _frames(upstream, client), ping=PING_SECONDS, headers={"Cache-Control": "no-cache"}
    )


async def _frames(upstream: httpx.Response, client: httpx.AsyncClient) -> AsyncIterator[bytes]:
    """Whole frames (up to their blank line), so a keep-alive never splits one."""
    lines: list[str] = []
    try:
        async for line in upstream.aiter_lines():
            if line:
                lines.append(line)
                continue
            if lines:
                yield ("\n".join(lines) + "\n\n").encode()
                lines = []
    except httpx.HTTPError:
        return  # notify went away: the page's EventSource reconnects
    finally:
        await upstream.aclose()
        await client.aclose()
