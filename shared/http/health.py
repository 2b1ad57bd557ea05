"""``/healthz``, ``/readyz``, ``/metrics`` and ``/asyncapi.json``: for monitoring, no auth."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.container import ServiceContainer, service_container
from shared.scrape import run_scrape_hooks

router = APIRouter(tags=["operations"])

Container = Annotated[ServiceContainer, Depends(service_container)]


@router.get("/healthz", summary="The process is alive")
async def healthz(container: Container) -> dict[str, Any]:
    return {"status": "ok", "service": container.runtime.name}


@router.get(
    "/readyz",
    summary="Broker and database are reachable and no consumer is stuck",
    responses={
        503: {
            "description": (
                "The broker or the database is unreachable, a consumer has held a message"
                " unsettled for longer than CONSUMER_STUCK_SECONDS, or a periodic task has"
                " stopped (each named in `checks`)"
            )
        }
    },
)
async def readyz(container: Container) -> JSONResponse:
    runtime = container.runtime
    reachable = await runtime.ready() if runtime.started else {"broker": False, "database": False}
    checks: dict[str, Any] = {name: "ok" if ok else "unreachable" for name, ok in reachable.items()}
    ready = all(reachable.values())
    threshold = runtime.settings.consumer_stuck_seconds
    for consumer in runtime.consumers:
        age = consumer.oldest_unacked_seconds()
        stuck = age > threshold
        ready = ready and not stuck
        checks[f"consumer:{consumer.queue.name}"] = (
            f"stuck: a message unsettled for {age:.0f} s (limit {threshold:g} s)" if stuck else "ok"
        )
    for worker, healthy in runtime.workers_healthy().items():
        ready = ready and healthy
        checks[f"worker:{worker}"] = "ok" if healthy else "stopped"
    body = {
        "status": "ready" if ready else "unavailable",
        "service": runtime.name,
        "checks": checks,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(container: Container) -> Response:
    await run_scrape_hooks(container)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/asyncapi.json", summary="AsyncAPI: the messages this service publishes and consumes")
async def asyncapi(container: Container) -> dict[str, Any]:
    result: dict[str, Any] = container.runtime.asyncapi()
    return result
