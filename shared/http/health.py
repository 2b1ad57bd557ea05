"""``/healthz``, ``/readyz``, ``/metrics`` and ``/asyncapi.json``: for monitoring, no auth."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.scrape import run_scrape_hooks

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz(request: Request) -> dict[str, Any]:
    return {"status": "ok", "service": request.app.state.runtime.name}


@router.get(
    "/readyz",
    summary="Broker and database are reachable",
    responses={503: {"description": "The broker or the database is unreachable"}},
)
async def readyz(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    checks = await runtime.ready() if runtime.started else {"broker": False, "database": False}
    ready = all(checks.values())
    body = {
        "status": "ready" if ready else "unavailable",
        "service": runtime.name,
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    await run_scrape_hooks(request.app)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/asyncapi.json", summary="AsyncAPI: the messages this service publishes and consumes")
async def asyncapi(request: Request) -> dict[str, Any]:
    result: dict[str, Any] = request.app.state.runtime.asyncapi()
    return result
